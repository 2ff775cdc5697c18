// SimdKernels: register-blocked SIMD dot products and squared distances (4 rows × 2 rows) for the managed backend; results written with =.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NcutKernels.Backends.Managed;

/// <summary>
/// The managed backend's inner loops: eight dot products a_r·b_c (r &lt; 4, c &lt; 2) in one pass, so each
/// loaded vector feeds several fused multiply-adds. Summation order is fixed (deterministic).
/// </summary>
internal static class SimdKernels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        return a * b + c;
    }

    /// <summary>
    /// dots[2r + c] = a_r · b_c over <paramref name="length"/> elements, for rows a_r starting at aOffsets[r]
    /// of <paramref name="a"/> and b_c at bOffsets[c] of <paramref name="b"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4x2<T>(T[] a, int a0, int a1, int a2, int a3, T[] b, int b0, int b1, int length, Span<T> dots)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T ra = ref MemoryMarshal.GetArrayDataReference(a);
        ref T rb = ref MemoryMarshal.GetArrayDataReference(b);
        Vector<T> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
        int v = Vector<T>.Count, k = 0;
        if (a.Length < Math.Max(Math.Max(a0, a1), Math.Max(a2, a3)) + length || b.Length < Math.Max(b0, b1) + length)
            throw new ArgumentOutOfRangeException(nameof(length));
        for (; k <= length - v; k += v)
        {
            var y0 = Vector.LoadUnsafe(ref rb, (nuint)(b0 + k));
            var y1 = Vector.LoadUnsafe(ref rb, (nuint)(b1 + k));
            var x = Vector.LoadUnsafe(ref ra, (nuint)(a0 + k));
            s00 = Fma(x, y0, s00);
            s01 = Fma(x, y1, s01);
            x = Vector.LoadUnsafe(ref ra, (nuint)(a1 + k));
            s10 = Fma(x, y0, s10);
            s11 = Fma(x, y1, s11);
            x = Vector.LoadUnsafe(ref ra, (nuint)(a2 + k));
            s20 = Fma(x, y0, s20);
            s21 = Fma(x, y1, s21);
            x = Vector.LoadUnsafe(ref ra, (nuint)(a3 + k));
            s30 = Fma(x, y0, s30);
            s31 = Fma(x, y1, s31);
        }
        T d00 = Vector.Sum(s00), d01 = Vector.Sum(s01), d10 = Vector.Sum(s10), d11 = Vector.Sum(s11);
        T d20 = Vector.Sum(s20), d21 = Vector.Sum(s21), d30 = Vector.Sum(s30), d31 = Vector.Sum(s31);
        for (; k < length; k++)
        {
            T y0 = b[b0 + k], y1 = b[b1 + k];
            d00 += a[a0 + k] * y0; d01 += a[a0 + k] * y1;
            d10 += a[a1 + k] * y0; d11 += a[a1 + k] * y1;
            d20 += a[a2 + k] * y0; d21 += a[a2 + k] * y1;
            d30 += a[a3 + k] * y0; d31 += a[a3 + k] * y1;
        }
        dots[0] = d00; dots[1] = d01; dots[2] = d10; dots[3] = d11;
        dots[4] = d20; dots[5] = d21; dots[6] = d30; dots[7] = d31;
    }

    /// <summary>
    /// sums[2r + c] = Σ_k (a_r[k] − b_c[k])² over <paramref name="length"/> elements, rows as in <see cref="Dot4x2{T}"/>: the
    /// squared distances taken from the differences themselves, whose rounding is relative to the distance (the Gram expansion
    /// ‖a‖² + ‖b‖² − 2a·b rounds relative to ‖a‖² + ‖b‖²).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DistanceSquares4x2<T>(T[] a, int a0, int a1, int a2, int a3, T[] b, int b0, int b1, int length, Span<T> sums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T ra = ref MemoryMarshal.GetArrayDataReference(a);
        ref T rb = ref MemoryMarshal.GetArrayDataReference(b);
        Vector<T> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
        int v = Vector<T>.Count, k = 0;
        if (a.Length < Math.Max(Math.Max(a0, a1), Math.Max(a2, a3)) + length || b.Length < Math.Max(b0, b1) + length)
            throw new ArgumentOutOfRangeException(nameof(length));
        for (; k <= length - v; k += v)
        {
            var y0 = Vector.LoadUnsafe(ref rb, (nuint)(b0 + k));
            var y1 = Vector.LoadUnsafe(ref rb, (nuint)(b1 + k));
            var x = Vector.LoadUnsafe(ref ra, (nuint)(a0 + k));
            var t0 = x - y0;
            var t1 = x - y1;
            s00 = Fma(t0, t0, s00);
            s01 = Fma(t1, t1, s01);
            x = Vector.LoadUnsafe(ref ra, (nuint)(a1 + k));
            t0 = x - y0;
            t1 = x - y1;
            s10 = Fma(t0, t0, s10);
            s11 = Fma(t1, t1, s11);
            x = Vector.LoadUnsafe(ref ra, (nuint)(a2 + k));
            t0 = x - y0;
            t1 = x - y1;
            s20 = Fma(t0, t0, s20);
            s21 = Fma(t1, t1, s21);
            x = Vector.LoadUnsafe(ref ra, (nuint)(a3 + k));
            t0 = x - y0;
            t1 = x - y1;
            s30 = Fma(t0, t0, s30);
            s31 = Fma(t1, t1, s31);
        }
        T d00 = Vector.Sum(s00), d01 = Vector.Sum(s01), d10 = Vector.Sum(s10), d11 = Vector.Sum(s11);
        T d20 = Vector.Sum(s20), d21 = Vector.Sum(s21), d30 = Vector.Sum(s30), d31 = Vector.Sum(s31);
        for (; k < length; k++)
        {
            T y0 = b[b0 + k], y1 = b[b1 + k];
            T t;
            t = a[a0 + k] - y0; d00 += t * t;
            t = a[a0 + k] - y1; d01 += t * t;
            t = a[a1 + k] - y0; d10 += t * t;
            t = a[a1 + k] - y1; d11 += t * t;
            t = a[a2 + k] - y0; d20 += t * t;
            t = a[a2 + k] - y1; d21 += t * t;
            t = a[a3 + k] - y0; d30 += t * t;
            t = a[a3 + k] - y1; d31 += t * t;
        }
        sums[0] = d00; sums[1] = d01; sums[2] = d10; sums[3] = d11;
        sums[4] = d20; sums[5] = d21; sums[6] = d30; sums[7] = d31;
    }

    /// <summary>A·Z for row-major square A (n×n) and Z (n×d), float64: rows of A against rows of Zᵀ, 4×2 at a time.</summary>
    public static double[] SquareTimes(double[] a, int n, double[] z, int d)
    {
        var zt = new double[d * n];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
                zt[c * n + i] = z[i * d + c];
        var result = new double[n * d];
        Parallel.For(0, (n + 3) / 4, block =>
        {
            Span<double> dots = stackalloc double[8];
            int i = block * 4;
            int r0 = i, r1 = Math.Min(i + 1, n - 1), r2 = Math.Min(i + 2, n - 1), r3 = Math.Min(i + 3, n - 1);
            for (int c = 0; c < d; c += 2)
            {
                int c1 = Math.Min(c + 1, d - 1);
                Dot4x2(a, r0 * n, r1 * n, r2 * n, r3 * n, zt, c * n, c1 * n, n, dots);
                result[r0 * d + c] = dots[0]; result[r0 * d + c1] = dots[1];
                result[r1 * d + c] = dots[2]; result[r1 * d + c1] = dots[3];
                result[r2 * d + c] = dots[4]; result[r2 * d + c1] = dots[5];
                result[r3 * d + c] = dots[6]; result[r3 * d + c1] = dots[7];
            }
        });
        return result;
    }

    /// <summary>g[i, j] += a_i · b_j for row-major A, B (n×len each) and g (n×n), float64.</summary>
    public static void AccumulateRowDots(double[] a, double[] b, int n, int len, double[] g)
    {
        Parallel.For(0, (n + 3) / 4, block =>
        {
            Span<double> dots = stackalloc double[8];
            int i = block * 4;
            Span<int> rows = [i, Math.Min(i + 1, n - 1), Math.Min(i + 2, n - 1), Math.Min(i + 3, n - 1)];
            int count = Math.Min(4, n - i);
            for (int j = 0; j < n; j += 2)
            {
                int j1 = Math.Min(j + 1, n - 1);
                Dot4x2(a, rows[0] * len, rows[1] * len, rows[2] * len, rows[3] * len, b, j * len, j1 * len, len, dots);
                for (int r = 0; r < count; r++)
                {
                    g[rows[r] * n + j] += dots[2 * r];
                    if (j1 != j)
                        g[rows[r] * n + j1] += dots[2 * r + 1];
                }
            }
        });
    }
}
