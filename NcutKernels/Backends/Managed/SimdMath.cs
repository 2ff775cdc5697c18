// SimdMath: the managed backend's element-wise and reduction loops (Vector<T>, fixed summation order); outputs written with =, MultiplyAdd with +=.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NcutKernels.Core;

namespace NcutKernels.Backends.Managed;

/// <summary>
/// Fused SIMD loops for float and double. Each is compiled fully optimized on first call
/// (AggressiveOptimization), so a short-lived process does not run them unoptimized while tiered
/// compilation catches up, and a fused pass reads each row once instead of once per primitive.
/// </summary>
internal static class SimdMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Exp<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
            return Vector.Exp(x.As<T, float>()).As<float, T>();
        return Vector.Exp(x.As<T, double>()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Load<T>(ReadOnlySpan<T> s, int k) where T : unmanaged =>
        Vector.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector<T> v, Span<T> s, int k) where T : unmanaged =>
        v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)k);

    /// <summary>Σ a_i·b_i (vector lanes, then lanes summed, then the tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (b.Length < a.Length)
            throw new ArgumentException("Spans differ in length.", nameof(b));
        var acc = Vector<T>.Zero;
        int k = 0;
        for (; k <= a.Length - Vector<T>.Count; k += Vector<T>.Count)
            acc += Load(a, k) * Load(b, k);
        T s = Vector.Sum(acc);
        for (; k < a.Length; k++)
            s += a[k] * b[k];
        return s;
    }

    /// <summary>Σ a_i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Sum<T>(ReadOnlySpan<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var acc = Vector<T>.Zero;
        int k = 0;
        for (; k <= a.Length - Vector<T>.Count; k += Vector<T>.Count)
            acc += Load(a, k);
        T s = Vector.Sum(acc);
        for (; k < a.Length; k++)
            s += a[k];
        return s;
    }

    /// <summary>Σ a_i accumulated in float64 (float lanes widened; vector lanes, then lanes summed, then the tail).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double WideSum<T>(ReadOnlySpan<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
            return double.CreateTruncating(Sum(a));
        var f = MemoryMarshal.Cast<T, float>(a);
        Vector<double> acc0 = Vector<double>.Zero, acc1 = Vector<double>.Zero;
        int k = 0;
        for (; k <= f.Length - Vector<float>.Count; k += Vector<float>.Count)
        {
            Vector.Widen(Load(f, k), out var low, out var high);
            acc0 += low;
            acc1 += high;
        }
        double s = Vector.Sum(acc0 + acc1);
        for (; k < f.Length; k++)
            s += f[k];
        return s;
    }

    /// <summary>x = x·c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale<T>(Span<T> x, T c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = 0;
        for (; k <= x.Length - Vector<T>.Count; k += Vector<T>.Count)
            Store(Load<T>(x, k) * c, x, k);
        for (; k < x.Length; k++)
            x[k] *= c;
    }

    /// <summary>x = x − y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Subtract<T>(Span<T> x, ReadOnlySpan<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Length < x.Length)
            throw new ArgumentException("Spans differ in length.", nameof(y));
        int k = 0;
        for (; k <= x.Length - Vector<T>.Count; k += Vector<T>.Count)
            Store(Load<T>(x, k) - Load(y, k), x, k);
        for (; k < x.Length; k++)
            x[k] -= y[k];
    }

    /// <summary>dst += c·a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd<T>(ReadOnlySpan<T> a, T c, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length < dst.Length)
            throw new ArgumentException("Spans differ in length.", nameof(a));
        int k = 0;
        for (; k <= dst.Length - Vector<T>.Count; k += Vector<T>.Count)
            Store(Load<T>(dst, k) + Load(a, k) * c, dst, k);
        for (; k < dst.Length; k++)
            dst[k] += a[k] * c;
    }

    /// <summary>dst += c·(a − b), the difference taken first (no cancellation between c·a and c·b).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddDifference<T>(T c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length < dst.Length || b.Length < dst.Length)
            throw new ArgumentException("Spans differ in length.", nameof(a));
        var vc = new Vector<T>(c);
        int k = 0;
        for (; k <= dst.Length - Vector<T>.Count; k += Vector<T>.Count)
            Store(Load<T>(dst, k) + vc * (Load(a, k) - Load(b, k)), dst, k);
        for (; k < dst.Length; k++)
            dst[k] += c * (a[k] - b[k]);
    }

    /// <summary>row_j = row_j·si·s_j (one row of D^-1/2·W·D^-1/2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleBySides<T>(Span<T> row, ReadOnlySpan<T> s, T si) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (s.Length < row.Length)
            throw new ArgumentException("Spans differ in length.", nameof(s));
        int k = 0;
        for (; k <= row.Length - Vector<T>.Count; k += Vector<T>.Count)
            Store(Load<T>(row, k) * Load(s, k) * si, row, k);
        for (; k < row.Length; k++)
            row[k] = row[k] * s[k] * si;
    }

    /// <summary>dst_j = exp(src_j·scale) (the RBF kernel from squared distances, scale = −1/(2σ²)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ExpScaled<T>(ReadOnlySpan<T> src, T scale, Span<T> dst) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (src.Length < dst.Length)
            throw new ArgumentException("Spans differ in length.", nameof(src));
        int k = 0;
        for (; k <= dst.Length - Vector<T>.Count; k += Vector<T>.Count)
            Store(Exp(Load(src, k) * scale), dst, k);
        for (; k < dst.Length; k++)
            dst[k] = T.Exp(src[k] * scale);
    }

    /// <summary>
    /// One row of the RBF affinity from Gram values: g_j ← exp(−max(0, sqi + sq_j − 2·g_j)·scale); the caller
    /// sets the diagonal to exactly 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RbfRow<T>(Span<T> g, ReadOnlySpan<T> sq, T sqi, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (sq.Length < g.Length)
            throw new ArgumentException("Spans differ in length.", nameof(sq));
        var vi = new Vector<T>(sqi);
        var neg = new Vector<T>(-scale);
        int k = 0;
        for (; k <= g.Length - Vector<T>.Count; k += Vector<T>.Count)
        {
            var x = Load<T>(g, k);
            var d2 = Vector.Max(Vector<T>.Zero, vi + Load(sq, k) - (x + x));
            Store(Exp(d2 * neg), g, k);
        }
        for (; k < g.Length; k++)
            g[k] = T.Exp(-T.Max(T.Zero, sqi + sq[k] - (g[k] + g[k])) * scale);
    }

    /// <summary>
    /// Cosine affinity from the squared distances g of the unit rows, in place: g_j ← exp(−t_j²·scale) + floor with
    /// t_j = 1 − x̂_i·x̂_j = ½·g_j + gi + gap_j (<see cref="AffinityMath.CosineGap{T}"/>; gi is row i's gap).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CosineFromDistances<T>(Span<T> g, ReadOnlySpan<T> gap, T gi, T scale, T floor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gap.Length < g.Length)
            throw new ArgumentException("Spans differ in length.", nameof(gap));
        var neg = new Vector<T>(-scale);
        var f = new Vector<T>(floor);
        var vi = new Vector<T>(gi);
        var half = new Vector<T>(T.CreateChecked(0.5));
        int k = 0;
        for (; k <= g.Length - Vector<T>.Count; k += Vector<T>.Count)
        {
            var t = Load<T>(g, k) * half + vi + Load(gap, k);
            Store(Exp(t * t * neg) + f, g, k);
        }
        for (; k < g.Length; k++)
        {
            T t = g[k] * T.CreateChecked(0.5) + gi + gap[k];
            g[k] = T.Exp(-t * t * scale) + floor;
        }
    }

    /// <summary>Cosine affinity from similarities: dst_j = exp(−(1 − src_j)²·scale) + floor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CosineRow<T>(ReadOnlySpan<T> src, Span<T> dst, T scale, T floor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (src.Length < dst.Length)
            throw new ArgumentException("Spans differ in length.", nameof(src));
        var neg = new Vector<T>(-scale);
        var f = new Vector<T>(floor);
        int k = 0;
        for (; k <= dst.Length - Vector<T>.Count; k += Vector<T>.Count)
        {
            var t = Vector<T>.One - Load(src, k);
            Store(Exp(t * t * neg) + f, dst, k);
        }
        for (; k < dst.Length; k++)
        {
            T t = T.One - src[k];
            dst[k] = T.Exp(-t * t * scale) + floor;
        }
    }
}
