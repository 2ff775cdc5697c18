// SmallSvd: singular value decomposition of a small dense matrix on the host (one-sided Jacobi, float64), exact-orthogonal factors even when rank-deficient.
namespace NcutKernels.Solvers;

/// <summary>
/// A = U·diag(s)·Vᵀ for a small dense m×n matrix with m ≥ n (float64, host), by one-sided (Hestenes)
/// Jacobi rotations: V accumulates plane rotations until every pair of columns of A·V is orthogonal to
/// machine precision, relative to the two columns' norms; s holds the column norms and U the normalized
/// columns. Columns whose norm is negligible (≤ n·ε·s_max, including exact zeros of a rank-deficient A)
/// get U columns that complete an orthonormal basis (Gram–Schmidt, twice), so UᵀU = VᵀV = I to about
/// 1e-15 whatever the rank. O(n³) per sweep; meant for the k×k problems of the k-way rotation.
/// </summary>
internal static class SmallSvd
{
    private const int MaxSweeps = 80;
    private const double Eps = 2.220446049250313e-16;

    /// <summary>
    /// Returns U (m×n, orthonormal columns), the singular values s sorted descending, and V (n×n, orthogonal).
    /// <paramref name="a"/> is not modified.
    /// </summary>
    public static (double[,] u, double[] s, double[,] v) Decompose(double[,] a)
    {
        int m = a.GetLength(0), n = a.GetLength(1);
        if (n == 0 || m < n)
            throw new ArgumentException($"Need an m×n matrix with m ≥ n ≥ 1, got {m}×{n}.", nameof(a));
        // Columns of A (work) and of V stored contiguously: col[j][i].
        var w = new double[n][];
        var v = new double[n][];
        for (int j = 0; j < n; j++)
        {
            w[j] = new double[m];
            v[j] = new double[n];
            v[j][j] = 1;
            for (int i = 0; i < m; i++)
            {
                if (!double.IsFinite(a[i, j]))
                    throw new ArithmeticException($"Non-finite entry {a[i, j]} at ({i}, {j}) of the matrix to decompose.");
                w[j][i] = a[i, j];
            }
        }
        Orthogonalize(w, v);
        var norms = w.Select(c => Math.Sqrt(Dot(c, c))).ToArray();
        var order = Enumerable.Range(0, n).OrderByDescending(j => norms[j]).ThenBy(j => j).ToArray();
        double floor = n * Eps * norms[order[0]];
        var s = new double[n];
        var uCols = new double[]?[n];
        var vSorted = new double[n, n];
        for (int c = 0; c < n; c++)
        {
            int j = order[c];
            s[c] = norms[j];
            if (norms[j] > floor)
                uCols[c] = w[j].Select(x => x / norms[j]).ToArray();
            for (int r = 0; r < n; r++)
                vSorted[r, c] = v[j][r];
        }
        Complete(uCols, m);
        var u = new double[m, n];
        for (int c = 0; c < n; c++)
            for (int r = 0; r < m; r++)
                u[r, c] = uCols[c]![r];
        return (u, s, vSorted);
    }

    /// <summary>Jacobi sweeps: rotate column pairs of w (and v alike) until all pairs are orthogonal relative to their norms.</summary>
    private static void Orthogonalize(double[][] w, double[][] v)
    {
        int n = w.Length;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double alpha = Dot(w[p], w[p]), beta = Dot(w[q], w[q]), gamma = Dot(w[p], w[q]);
                    if (gamma == 0 || Math.Abs(gamma) <= Eps * Math.Sqrt(alpha * beta))
                        continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.Sign(zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    if (zeta == 0)
                        t = 1;
                    double c = 1 / Math.Sqrt(1 + t * t), sn = c * t;
                    Rotate(w[p], w[q], c, sn);
                    Rotate(v[p], v[q], c, sn);
                }
            if (!rotated)
                return;
        }
    }

    /// <summary>(x, y) ← (c·x − s·y, s·x + c·y).</summary>
    private static void Rotate(double[] x, double[] y, double c, double s)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double xi = x[i], yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }

    /// <summary>Fills the null entries of cols with unit vectors orthogonal to all others (standard basis candidates, two Gram–Schmidt passes).</summary>
    private static void Complete(double[]?[] cols, int m)
    {
        for (int c = 0; c < cols.Length; c++)
        {
            if (cols[c] is not null)
                continue;
            double[]? best = null;
            double bestNorm = -1;
            for (int e = 0; e < m; e++)
            {
                var x = new double[m];
                x[e] = 1;
                for (int pass = 0; pass < 2; pass++)
                    foreach (var other in cols)
                        if (other is not null)
                        {
                            double d = Dot(other, x);
                            for (int i = 0; i < m; i++)
                                x[i] -= d * other[i];
                        }
                double norm = Math.Sqrt(Dot(x, x));
                if (norm > bestNorm)
                    (best, bestNorm) = (x, norm);
            }
            cols[c] = best!.Select(x => x / bestNorm).ToArray();
        }
    }

    private static double Dot(double[] x, double[] y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
            sum += x[i] * y[i];
        return sum;
    }
}
