// BlockRows: the n×k row-major float64 passes of the eigen backward (Uᵀ·V, V += c·U·H, column dots, axpys); rows in fixed chunks in parallel, chunk sums added in chunk order, so results do not depend on scheduling. Outputs written with = except the += named ones.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NcutKernels.Solvers;

/// <summary>
/// Block-vector arithmetic for <see cref="EigenBackward"/> on n×k row-major arrays (k small). Every pass splits the rows
/// into chunks of <see cref="Chunk"/>; reductions keep one partial per chunk and add them in chunk order, so the bits
/// are the same on every run and every core count. Scratch is owned by the instance and reused across passes.
/// </summary>
internal sealed class BlockRows(int n, int k)
{
    /// <summary>Rows per parallel chunk (fixed, so the sums run in the same order every time).</summary>
    public const int Chunk = 512;

    private readonly int _chunks = (n + Chunk - 1) / Chunk;
    private readonly double[] _partial = new double[(n + Chunk - 1) / Chunk * k * k];

    /// <summary>h (k×k) = Aᵀ·B.</summary>
    public double[] TransposeTimes(double[] a, double[] b)
    {
        int kk = k * k;
        Parallel.For(0, _chunks, ch => TransposeTimesRows(a, b, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k, _partial.AsSpan(ch * kk, kk)));
        var sum = new double[kk];
        for (int ch = 0; ch < _chunks; ch++)
            for (int e = 0; e < kk; e++)
                sum[e] += _partial[ch * kk + e];
        return sum;
    }

    /// <summary>v += scale·U·h for k×k h.</summary>
    public void AddProduct(double[] v, double[] u, double[] h, double scale) =>
        Parallel.For(0, _chunks, ch => AddProductRows(v, u, h, scale, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k));

    /// <summary>v ← (I − U·Uᵀ)·v, twice (classical Gram–Schmidt is not enough in finite precision).</summary>
    public void Project(double[] v, double[] u)
    {
        for (int pass = 0; pass < 2; pass++)
            AddProduct(v, u, TransposeTimes(u, v), -1);
    }

    /// <summary>d_j = Σ_i a_ij·b_ij (k).</summary>
    public double[] ColumnDots(double[] a, double[] b)
    {
        Parallel.For(0, _chunks, ch => ColumnDotsRows(a, b, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k, _partial.AsSpan(ch * k, k)));
        return SumChunks();
    }

    /// <summary>dst_ij = λ_j·v_ij − m_ij (the un-projected A_j·v_j).</summary>
    public void ShiftMinus(double[] v, double[] lambda, double[] m, double[] dst) =>
        Parallel.For(0, _chunks, ch => ShiftMinusRows(v, lambda, m, dst, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k));

    /// <summary>x += α∘p, r −= α∘ap (α per column); returns the new column dots rᵀr.</summary>
    public double[] Step(double[] x, double[] r, double[] p, double[] ap, double[] alpha)
    {
        Parallel.For(0, _chunks, ch => StepRows(x, r, p, ap, alpha, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k, _partial.AsSpan(ch * k, k)));
        return SumChunks();
    }

    /// <summary>p_j = r_j + β_j·p_j for the columns with <paramref name="step"/> set.</summary>
    public void NewDirections(double[] p, double[] r, double[] beta, bool[] step) =>
        Parallel.For(0, _chunks, ch => NewDirectionsRows(p, r, beta, step, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k));

    /// <summary>dst = a − b; returns the column dots of dst with itself.</summary>
    public double[] Difference(double[] a, double[] b, double[] dst)
    {
        Parallel.For(0, _chunks, ch => DifferenceRows(a, b, dst, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k, _partial.AsSpan(ch * k, k)));
        return SumChunks();
    }

    // The row loops of one chunk [i0, i1): fully optimized from the first call (AggressiveOptimization), since a backward
    // pass calls each only a few dozen times, too few for tiered compilation to reach optimized code in time.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeTimesRows(double[] a, double[] b, int i0, int i1, int k, Span<double> h)
    {
        h.Clear();
        for (int i = i0; i < i1; i++)
        {
            var bi = b.AsSpan(i * k, k);
            for (int r = 0; r < k; r++)
                MultiplyAdd(bi, a[i * k + r], h.Slice(r * k, k));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddProductRows(double[] v, double[] u, double[] h, double scale, int i0, int i1, int k)
    {
        for (int i = i0; i < i1; i++)
        {
            var vi = v.AsSpan(i * k, k);
            for (int a = 0; a < k; a++)
                MultiplyAdd(h.AsSpan(a * k, k), scale * u[i * k + a], vi);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnDotsRows(double[] a, double[] b, int i0, int i1, int k, Span<double> d)
    {
        d.Clear();
        for (int i = i0; i < i1; i++)
            for (int j = 0, o = i * k; j < k; j++)
                d[j] += a[o + j] * b[o + j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShiftMinusRows(double[] v, double[] lambda, double[] m, double[] dst, int i0, int i1, int k)
    {
        for (int i = i0; i < i1; i++)
            for (int j = 0, o = i * k; j < k; j++)
                dst[o + j] = lambda[j] * v[o + j] - m[o + j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StepRows(double[] x, double[] r, double[] p, double[] ap, double[] alpha, int i0, int i1, int k, Span<double> d)
    {
        d.Clear();
        for (int i = i0; i < i1; i++)
            for (int j = 0, o = i * k; j < k; j++)
            {
                x[o + j] += alpha[j] * p[o + j];
                double rv = r[o + j] -= alpha[j] * ap[o + j];
                d[j] += rv * rv;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NewDirectionsRows(double[] p, double[] r, double[] beta, bool[] step, int i0, int i1, int k)
    {
        for (int i = i0; i < i1; i++)
            for (int j = 0, o = i * k; j < k; j++)
                if (step[j])
                    p[o + j] = r[o + j] + beta[j] * p[o + j];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DifferenceRows(double[] a, double[] b, double[] dst, int i0, int i1, int k, Span<double> d)
    {
        d.Clear();
        for (int i = i0; i < i1; i++)
            for (int j = 0, o = i * k; j < k; j++)
            {
                double e = dst[o + j] = a[o + j] - b[o + j];
                d[j] += e * e;
            }
    }

    /// <summary>The k-wide chunk partials at the front of the scratch, added in chunk order.</summary>
    private double[] SumChunks()
    {
        var sum = new double[k];
        for (int ch = 0; ch < _chunks; ch++)
            for (int j = 0; j < k; j++)
                sum[j] += _partial[ch * k + j];
        return sum;
    }

    /// <summary>dst += c·a (Vector lanes, then the tail), inlined into the row loops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAdd(ReadOnlySpan<double> a, double c, Span<double> dst)
    {
        ref double ar = ref MemoryMarshal.GetReference(a);
        ref double dr = ref MemoryMarshal.GetReference(dst);
        int j = 0, len = dst.Length;
        var cv = new Vector<double>(c);
        for (; j <= len - Vector<double>.Count; j += Vector<double>.Count)
            (Vector.LoadUnsafe(ref dr, (nuint)j) + Vector.LoadUnsafe(ref ar, (nuint)j) * cv).StoreUnsafe(ref dr, (nuint)j);
        for (; j < len; j++)
            Unsafe.Add(ref dr, j) += Unsafe.Add(ref ar, j) * c;
    }
}
