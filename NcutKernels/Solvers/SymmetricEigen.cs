// SymmetricEigen: dense symmetric eigendecomposition on the host (Householder tridiagonalization + implicit QL, float64) for the small projected problems.
using System.Runtime.CompilerServices;

namespace NcutKernels.Solvers;

/// <summary>
/// Eigen-decomposition of a small dense symmetric matrix (float64, host): Householder reduction to
/// tridiagonal form, then the implicit QL algorithm with Wilkinson-type shifts, accumulating the
/// transformations. O(m³) with a small constant; meant for the m ≤ a few hundred projected problems.
/// </summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// Returns eigenvalues sorted descending and the matching orthonormal eigenvectors as columns of
    /// <c>vectors</c> (m×m). <paramref name="a"/> is not modified; it is symmetrized as (A + Aᵀ)/2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double[] values, double[,] vectors) Decompose(double[,] a)
    {
        int n = a.GetLength(0);
        if (a.GetLength(1) != n)
            throw new ArgumentException($"Matrix must be square, got {n}×{a.GetLength(1)}.", nameof(a));
        var v = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double x = 0.5 * (a[i, j] + a[j, i]);
                if (!double.IsFinite(x))
                    throw new ArithmeticException($"Non-finite entry {a[i, j]} at ({i}, {j}) of the projected matrix.");
                v[i * n + j] = x;
            }
        var d = new double[n];
        var e = new double[n];
        Tridiagonalize(v, d, e, n);
        var z = new double[n * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
                z[c * n + r] = v[r * n + c];
        DiagonalizeTridiagonal(z, d, e, n);
        var order = Enumerable.Range(0, n).OrderByDescending(i => d[i]).ThenBy(i => i).ToArray();
        var values = new double[n];
        var vectors = new double[n, n];
        for (int c = 0; c < n; c++)
        {
            values[c] = d[order[c]];
            for (int r = 0; r < n; r++)
                vectors[r, c] = z[order[c] * n + r];
        }
        return (values, vectors);
    }

    /// <summary>Householder reduction of v (row-major, overwritten by the orthogonal transform) to diagonal d and sub-diagonal e.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tridiagonalize(double[] v, double[] d, double[] e, int n)
    {
        for (int j = 0; j < n; j++)
            d[j] = v[(n - 1) * n + j];
        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++)
                scale += Math.Abs(d[k]);
            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                    v[j * n + i] = 0;
                }
            }
            else
            {
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1], g = Math.Sqrt(h);
                if (f > 0)
                    g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++)
                    e[j] = 0;
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[j * n + i] = f;
                    g = e[j] + v[j * n + j] * f;
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[k * n + j] * d[k];
                        e[k] += v[k * n + j] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++)
                    e[j] -= hh * d[j];
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++)
                        v[k * n + j] -= f * e[k] + g * d[k];
                    d[j] = v[(i - 1) * n + j];
                    v[i * n + j] = 0;
                }
            }
            d[i] = h;
        }
        for (int i = 0; i < n - 1; i++)
        {
            v[(n - 1) * n + i] = v[i * n + i];
            v[i * n + i] = 1;
            double h = d[i + 1];
            if (h != 0)
            {
                for (int k = 0; k <= i; k++)
                    d[k] = v[k * n + i + 1] / h;
                for (int j = 0; j <= i; j++)
                {
                    double g = 0;
                    for (int k = 0; k <= i; k++)
                        g += v[k * n + i + 1] * v[k * n + j];
                    for (int k = 0; k <= i; k++)
                        v[k * n + j] -= g * d[k];
                }
            }
            for (int k = 0; k <= i; k++)
                v[k * n + i + 1] = 0;
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = v[(n - 1) * n + j];
            v[(n - 1) * n + j] = 0;
        }
        v[(n - 1) * n + n - 1] = 1;
        e[0] = 0;
    }

    /// <summary>Implicit QL iterations on (d, e), rotating the rows of z (row i = vector i, contiguous); d ends as the eigenvalues.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DiagonalizeTridiagonal(double[] z, double[] d, double[] e, int n)
    {
        for (int i = 1; i < n; i++)
            e[i - 1] = e[i];
        e[n - 1] = 0;
        double f = 0, tst1 = 0, eps = Math.Pow(2, -52);
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n && Math.Abs(e[m]) > eps * tst1)
                m++;
            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > 60)
                        throw new ArithmeticException($"Tridiagonal QL did not converge for eigenvalue {l} of {n}.");
                    double g = d[l], p = (d[l + 1] - g) / (2 * e[l]), r = Hypot(p, 1);
                    if (p < 0)
                        r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1], h = g - d[l];
                    for (int i = l + 2; i < n; i++)
                        d[i] -= h;
                    f += h;
                    p = d[m];
                    double c = 1, c2 = c, c3 = c, el1 = e[l + 1], s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        Rotate(z.AsSpan(i * n, n), z.AsSpan((i + 1) * n, n), c, s);
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    /// <summary>(a, b) ← (c·a − s·b, s·a + c·b) element-wise, SIMD.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rotate(Span<double> a, Span<double> b, double c, double s)
    {
        int k = 0, w = System.Numerics.Vector<double>.Count;
        for (; k <= a.Length - w; k += w)
        {
            var va = new System.Numerics.Vector<double>(a[k..]);
            var vb = new System.Numerics.Vector<double>(b[k..]);
            (va * c - vb * s).CopyTo(a[k..]);
            (va * s + vb * c).CopyTo(b[k..]);
        }
        for (; k < a.Length; k++)
        {
            double h = b[k];
            b[k] = s * a[k] + c * h;
            a[k] = c * a[k] - s * h;
        }
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y)
            (x, y) = (y, x);
        if (x == 0)
            return 0;
        double t = y / x;
        return x * Math.Sqrt(1 + t * t);
    }
}
