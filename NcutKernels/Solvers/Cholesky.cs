// Cholesky: A = L·Lᵀ for a dense symmetric positive definite matrix on the host (float64, left-looking, rows of L in parallel) and the solves with it.
using System.Runtime.CompilerServices;
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;

namespace NcutKernels.Solvers;

/// <summary>
/// Cholesky factorization of a dense symmetric positive definite n×n matrix (float64, row-major) and solves with the factor.
/// Left-looking by columns: column j needs L's first j columns only, and its n − j − 1 entries below the diagonal are
/// independent dot products of contiguous row prefixes, computed in parallel (each in a fixed order, so the factor is
/// deterministic). n³/6 multiply-adds; meant for the few-thousand-square normal equations of the Nyström least-squares subset extension.
/// </summary>
internal static class Cholesky
{
    /// <summary>Columns below this many rows are finished on the calling thread (a parallel loop costs more than the work).</summary>
    private const int SerialRows = 64;

    /// <summary>
    /// The lower factor L (n×n row-major, zeros above the diagonal) of <paramref name="a"/> (n×n row-major; only its lower
    /// triangle is read; not modified).
    /// </summary>
    /// <exception cref="ArithmeticException">A pivot is not positive (the matrix is not positive definite to float64 rounding).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] Factor(double[] a, int n)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (n < 1 || a.Length != (long)n * n)
            throw new ArgumentException($"Cholesky: expected an n×n matrix with n ≥ 1, got {a.Length} values for n = {n}.", nameof(a));
        var l = new double[a.Length];
        for (int j = 0; j < n; j++)
        {
            var lj = l.AsSpan(j * n, j);
            double pivot = a[j * n + j] - SimdMath.Dot<double>(lj, lj);
            if (!(pivot > 0) || !double.IsFinite(pivot))
                throw new ArithmeticException($"Cholesky: pivot {j} is {pivot:G6}; the matrix is not positive definite.");
            double diag = Math.Sqrt(pivot);
            l[j * n + j] = diag;
            int col = j;
            void Row(int i) => l[i * n + col] = (a[i * n + col] - SimdMath.Dot<double>(l.AsSpan(i * n, col), l.AsSpan(col * n, col))) / diag;
            if (n - j - 1 < SerialRows)
                for (int i = j + 1; i < n; i++)
                    Row(i);
            else
                Parallel.For(j + 1, n, Row);
        }
        return l;
    }

    /// <summary>
    /// X (n×r row-major) with L·Lᵀ·X = B for the factor <paramref name="l"/> of <see cref="Factor"/> and B (n×r row-major,
    /// not modified): forward then back substitution.
    /// </summary>
    public static double[] Solve(double[] l, int n, double[] b, int r)
    {
        ArgumentNullException.ThrowIfNull(l);
        ArgumentNullException.ThrowIfNull(b);
        if (l.Length != (long)n * n || b.Length != (long)n * r)
            throw new ArgumentException($"Cholesky.Solve: factor of {l.Length} values and right-hand sides of {b.Length} do not fit n = {n}, r = {r}.");
        var x = (double[])b.Clone();
        for (int i = 0; i < n; i++)
        {
            for (int p = 0; p < i; p++)
            {
                double f = l[i * n + p];
                for (int c = 0; c < r; c++)
                    x[i * r + c] -= f * x[p * r + c];
            }
            for (int c = 0; c < r; c++)
                x[i * r + c] /= l[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            for (int p = i + 1; p < n; p++)
            {
                double f = l[p * n + i];
                for (int c = 0; c < r; c++)
                    x[i * r + c] -= f * x[p * r + c];
            }
            for (int c = 0; c < r; c++)
                x[i * r + c] /= l[i * n + i];
        }
        return x;
    }
}
