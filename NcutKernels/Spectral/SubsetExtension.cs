// SubsetExtension: the Nyström extension over a landmark subset by least squares — weights to s landmarks fitted, on all m landmarks, to reproduce √d·u and d.
using System.Numerics;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

/// <summary>
/// The classic extension over a subset S of s of the m landmarks, made stable when eigenvalues are small.
/// </summary>
/// <remarks>
/// The classic extension writes √d(x)·u_c(x) = h_c(x) = (1/λ_c)·Σ_{j∈L} w(x, l_j)·u_jc/√d_j. Summing over a random subset
/// instead (a Monte-Carlo estimate) carries a sampling error of the size of the individual terms, and the 1/λ_c factor
/// multiplies it: at λ ≈ 1e-3 the columns drown in it. Here h_c is instead fitted in the span of the s kernel functions
/// w(·, l_a), a ∈ S: A = argmin ‖W_LS·A − H‖² + ρ‖A‖² over all m landmarks, where W_LS (m×s) is the landmark graph's
/// affinity between every landmark and the subset and H = [h_1 … h_k, d] are the all-landmark extension's h and the degrees at
/// the landmarks, known from the landmark solve (h_c = √d∘(M·u_c)/λ_c, one product with the normalized landmark affinity M).
/// The fit targets h itself, so no 1/λ multiplies a sampling error; a point's row is
/// u(x) = (w(x, S)·A_{1..k}) / √(w(x, S)·A_{k+1}). The relative residual of each column over the m landmarks (computed
/// from the normal equations: AᵀGA − 2AᵀR + HᵀH) measures how well s kernel functions carry the embedding; subsets are
/// tried in growing nested sizes until it is within the tolerance. Normal equations G = W_SL·W_LS and R = W_SL·H are
/// accumulated in float64 by the backend; the ridge ρ = 1e-10·tr(G)/s only keeps the Cholesky factor of G + ρI defined.
/// </remarks>
internal static class SubsetExtension
{
    /// <summary>Ridge of the normal equations, relative to the mean diagonal of G.</summary>
    internal const double RelativeRidge = 1e-10;

    /// <summary>The subset sizes tried by default: 256, 512, 1024 (each a prefix of the next).</summary>
    internal static readonly int[] DefaultSizes = [256, 512, 1024];

    /// <summary>The weights of one subset: s×(k+1) values for the propagation and each column's relative residual over the landmarks.</summary>
    internal sealed record Fit(int Size, double[] Values, double[] Residuals)
    {
        /// <summary>The largest relative residual over the k eigenvector columns and the degree column.</summary>
        public double MaxResidual => Residuals.Max();
    }

    /// <summary>
    /// Fits the subset of the first <paramref name="size"/> rows of <paramref name="subsetRows"/> (the raw affinity W_SL, rows
    /// in subset order, m columns) to the targets (<paramref name="targets"/> on the device as (k+1)×m, <paramref name="hostTargets"/>
    /// the same in float64).
    /// </summary>
    internal static Fit Solve<T>(ComputeDevice device, DeviceMatrix<T> subsetRows, int size, DeviceMatrix<T> targets, double[] hostTargets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var be = device.Backend;
        int m = subsetRows.Cols, r = targets.Rows;
        var rows = subsetRows.RowRange(0, size);
        var g = be.InnerProducts(rows, rows);
        var rhs = be.InnerProducts(rows, targets.All);
        var a = new double[(long)size * size];
        double trace = 0;
        for (int i = 0; i < size; i++)
        {
            for (int j = 0; j < size; j++)
                a[(long)i * size + j] = g[i, j];
            trace += g[i, i];
        }
        double ridge = RelativeRidge * Math.Max(trace / size, double.Epsilon);
        for (int i = 0; i < size; i++)
            a[(long)i * size + i] += ridge;
        var b = new double[(long)size * r];
        for (int i = 0; i < size; i++)
            for (int c = 0; c < r; c++)
                b[(long)i * r + c] = rhs[i, c];
        var l = Cholesky.Factor(a, size);
        var x = Cholesky.Solve(l, size, b, r);
        return new Fit(size, x, Residuals(g, rhs, x, hostTargets, size, r, m));
    }

    /// <summary>‖W_LS·a_c − h_c‖/‖h_c‖ per column from the normal equations (G, R = W_SL·H, HᵀH), float64.</summary>
    private static double[] Residuals(double[,] g, double[,] rhs, double[] x, double[] targets, int s, int r, int m)
    {
        var result = new double[r];
        for (int c = 0; c < r; c++)
        {
            double quad = 0, cross = 0, norm = 0;
            for (int i = 0; i < s; i++)
            {
                double gx = 0;
                for (int j = 0; j < s; j++)
                    gx += g[i, j] * x[(long)j * r + c];
                quad += x[(long)i * r + c] * gx;
                cross += x[(long)i * r + c] * rhs[i, c];
            }
            for (int j = 0; j < m; j++)
                norm += targets[(long)c * m + j] * targets[(long)c * m + j];
            result[c] = norm > 0 ? Math.Sqrt(Math.Max(quad - 2 * cross + norm, 0) / norm) : 0;
        }
        return result;
    }
}
