// BlockRows: the n×k row-major float64 passes of the eigen backward (Uᵀ·V, V += c·U·H, column dots, axpys); rows in fixed chunks in parallel, chunk sums added in chunk order, so results do not depend on scheduling. Outputs written with = except the += named ones.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NcutKernels.Solvers;

/// <summary>
/// Block-vector arithmetic for <see cref="EigenBackward"/> on n×width row-major arrays against an n×k basis U (k small; width
/// = k for one cotangent, a multiple of k when several are solved together). Every pass splits the rows
/// into chunks of <see cref="Chunk"/>; reductions keep one partial per chunk and add them in chunk order, so the bits
/// are the same on every run and every core count. Scratch is owned by the instance and reused across passes.
/// </summary>
internal sealed class BlockRows(int n, int k, int width)
{
    /// <summary>Block arithmetic on n×k blocks whose basis U is k wide too.</summary>
    public BlockRows(int n, int k) : this(n, k, k)
    {
    }

    /// <summary>Rows per parallel chunk (fixed, so the sums run in the same order every time).</summary>
    public const int Chunk = 512;

    private readonly int _chunks = (n + Chunk - 1) / Chunk;
    private readonly double[] _partial = new double[(n + Chunk - 1) / Chunk * Math.Max(k * k, k * width)];

    /// <summary>h (k×k) = Aᵀ·B for two k-wide blocks.</summary>
    public double[] TransposeTimes(double[] a, double[] b) => TransposeTimes(a, b, k);

    /// <summary>h (k×wb) = Uᵀ·B for the basis U (n×k) and a block B n×<paramref name="wb"/>.</summary>
    private double[] TransposeTimes(double[] a, double[] b, int wb)
    {
        int kk = k * wb;
        Parallel.For(0, _chunks, ch => TransposeTimesRows(a, b, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k, wb, _partial.AsSpan(ch * kk, kk)));
        var sum = new double[kk];
        for (int ch = 0; ch < _chunks; ch++)
            for (int e = 0; e < kk; e++)
                sum[e] += _partial[ch * kk + e];
        return sum;
    }

    /// <summary>v += scale·U·h for a k-wide v and k×k h.</summary>
    public void AddProduct(double[] v, double[] u, double[] h, double scale) => AddProduct(v, u, h, scale, k);

    private void AddProduct(double[] v, double[] u, double[] h, double scale, int wv) =>
        Parallel.For(0, _chunks, ch => AddProductRows(v, u, h, scale, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), k, wv));

    /// <summary>v (n×width) ← (I − U·Uᵀ)·v column by column, twice (classical Gram–Schmidt is not enough in finite precision).</summary>
    public void Project(double[] v, double[] u)
    {
        for (int pass = 0; pass < 2; pass++)
            AddProduct(v, u, TransposeTimes(u, v, width), -1, width);
    }

    /// <summary>d_j = Σ_i a_ij·b_ij (width).</summary>
    public double[] ColumnDots(double[] a, double[] b)
    {
        Parallel.For(0, _chunks, ch => ColumnDotsRows(a, b, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), width, _partial.AsSpan(ch * width, width)));
        return SumChunks();
    }

    /// <summary>dst_ij = λ_j·v_ij − m_ij (the un-projected A_j·v_j).</summary>
    public void ShiftMinus(double[] v, double[] lambda, double[] m, double[] dst) =>
        Parallel.For(0, _chunks, ch => ShiftMinusRows(v, lambda, m, dst, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), width));

    /// <summary>x += α∘p, r −= α∘ap (α per column); returns the new column dots rᵀr.</summary>
    public double[] Step(double[] x, double[] r, double[] p, double[] ap, double[] alpha)
    {
        Parallel.For(0, _chunks, ch => StepRows(x, r, p, ap, alpha, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), width, _partial.AsSpan(ch * width, width)));
        return SumChunks();
    }

    /// <summary>p_j = r_j + β_j·p_j for the columns with <paramref name="step"/> set.</summary>
    public void NewDirections(double[] p, double[] r, double[] beta, bool[] step) =>
        Parallel.For(0, _chunks, ch => NewDirectionsRows(p, r, beta, step, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), width));

    /// <summary>dst = a − b; returns the column dots of dst with itself.</summary>
    public double[] Difference(double[] a, double[] b, double[] dst)
    {
        Parallel.For(0, _chunks, ch => DifferenceRows(a, b, dst, ch * Chunk, Math.Min(n, (ch + 1) * Chunk), width, _partial.AsSpan(ch * width, width)));
        return SumChunks();
    }

    // The row loops of one chunk [i0, i1): fully optimized from the first call (AggressiveOptimization), since a backward
    // pass calls each only a few dozen times, too few for tiered compilation to reach optimized code in time.

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeTimesRows(double[] a, double[] b, int i0, int i1, int k, int wb, Span<double> h)
    {
        h.Clear();
        for (int i = i0; i < i1; i++)
        {
            var bi = b.AsSpan(i * wb, wb);
            for (int r = 0; r < k; r++)
                MultiplyAdd(bi, a[i * k + r], h.Slice(r * wb, wb));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddProductRows(double[] v, double[] u, double[] h, double scale, int i0, int i1, int k, int wv)
    {
        for (int i = i0; i < i1; i++)
        {
            var vi = v.AsSpan(i * wv, wv);
            for (int a = 0; a < k; a++)
                MultiplyAdd(h.AsSpan(a * wv, wv), scale * u[i * k + a], vi);
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

    /// <summary>The width-wide chunk partials at the front of the scratch, added in chunk order.</summary>
    private double[] SumChunks()
    {
        var sum = new double[width];
        for (int ch = 0; ch < _chunks; ch++)
            for (int j = 0; j < width; j++)
                sum[j] += _partial[ch * width + j];
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
