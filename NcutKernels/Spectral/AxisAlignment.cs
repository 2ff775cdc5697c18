// AxisAlignment: the Yu–Shi (2003) multiclass-spectral-clustering rotation as ncut_pytorch's axis_align computes it (host, float64).
using NcutKernels.Backends.Managed;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

/// <summary>
/// Finds the orthogonal R (c×c) that best aligns unit rows with the coordinate axes: start from the rows picked
/// by farthest-point sampling (R's columns), then repeat: one-hot discretize X·R (argmax, ties to the lowest
/// column), take the SVD U·S·Vᵀ of Dᵀ·X and set R = V·Uᵀ, until 2·(m − ΣS) changes by less than the tolerance.
/// ncut_pytorch iterates in float32 and keeps the R that produced the last discretization; here the loop runs in
/// float64 and the last Procrustes update is always applied, so R is exactly orthogonal even when the start
/// already converges (the two coincide once the assignments stop changing).
/// </summary>
internal static class AxisAlignment
{
    /// <summary>x: m×c unit rows (row-major). Returns R (columns in <see cref="KwayRotation.SortColumns"/> order), iterations and convergence.</summary>
    public static (double[,] rotation, int iterations, bool converged) Fit(double[] x, int m, int c, int maxIterations, double tolerance)
    {
        var start = FarthestPointWalk.Greedy(x, m, c, c);
        var r = new double[c, c];
        for (int j = 0; j < c; j++)
            for (int a = 0; a < c; a++)
                r[a, j] = x[(long)start[j] * c + a];
        double last = 0;
        var labels = new int[m];
        for (int iteration = 1; ; iteration++)
        {
            KwayRotation.AssignRows(x, m, c, r, c, labels);
            var projected = new double[c, c];
            for (int i = 0; i < m; i++)
                for (int a = 0; a < c; a++)
                    projected[labels[i], a] += x[(long)i * c + a];
            var (u, s, v) = SmallSvd.Decompose(projected);
            double objective = 2 * (m - s.Sum());
            for (int a = 0; a < c; a++)
                for (int b = 0; b < c; b++)
                {
                    double sum = 0;
                    for (int l = 0; l < c; l++)
                        sum += v[a, l] * u[b, l];
                    r[a, b] = sum;
                }
            bool converged = Math.Abs(objective - last) < tolerance;
            if (converged || iteration >= maxIterations)
                return (KwayRotation.SortColumns(r), iteration, converged);
            last = objective;
        }
    }
}
