// RowKernels: row gather, column scaling and the scans for non-finite values and the largest |x| over device matrices. Rule: GatherRows writes dst with =; ScaleColumns scales in place; FirstNonFinite only lowers found[0] (atomic min), MaxAbs only raises best[0] (atomic max).
using ILGPU;
using ILGPU.Algorithms;

namespace NcutKernels.Kernels;

/// <summary>Whole-row kernels on row-major float32 matrices that feed the device-resident Nyström path.</summary>
internal static class RowKernels
{
    /// <summary>Bits of a float's exponent: all set for ±∞ and NaN.</summary>
    private const int ExponentMask = 0x7F800000;

    /// <summary>
    /// dst[r, c] = src[rows[r], c] for c &lt; cols and r = row0 + idx.Y. Index (c, r − row0) over the grid (cols, count): launched
    /// in row bands (<c>RowBands</c>).
    /// </summary>
    public static void GatherRows(Index2D idx, ArrayView<float> src, ArrayView<int> rows, ArrayView<float> dst, int cols, int row0)
    {
        int c = idx.X, r = row0 + idx.Y;
        dst[(long)r * cols + c] = src[(long)rows[r] * cols + c];
    }

    /// <summary>x[r, c] ·= factors[c] for r = row0 + idx.Y. Index (c, r − row0) over the grid (cols, rows): launched in row bands (<c>RowBands</c>).</summary>
    public static void ScaleColumns(Index2D idx, ArrayView<float> x, ArrayView<float> factors, int cols, int row0)
    {
        long o = (long)(row0 + idx.Y) * cols + idx.X;
        x[o] *= factors[idx.X];
    }

    /// <summary>
    /// best[0] = max(best[0], bits of |x[e]|) over e &lt; length, for finite x: grid-stride over 1-D groups, each thread's largest
    /// |x| as float bits (non-negative floats order as their bit patterns), one atomic max per thread. best[0] starts at 0.
    /// </summary>
    public static void MaxAbs(ArrayView<float> x, ArrayView<int> best, long length)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        float local = 0;
        for (long e = (long)Grid.IdxX * Group.DimX + Group.IdxX; e < length; e += stride)
            local = XMath.Max(local, XMath.Abs(x[e]));
        Atomic.Max(ref best[0], (int)Interop.FloatAsInt(local));
    }

    /// <summary>
    /// found[0] = min(found[0], e) over the flat indices e &lt; length of x whose exponent bits are all set (NaN, ±∞):
    /// grid-stride over 1-D groups; each thread reports the first such index it meets. found[0] starts at long.MaxValue.
    /// </summary>
    public static void FirstNonFinite(ArrayView<float> x, ArrayView<long> found, long length)
    {
        long stride = (long)Grid.DimX * Group.DimX;
        for (long e = (long)Grid.IdxX * Group.DimX + Group.IdxX; e < length; e += stride)
        {
            if ((Interop.FloatAsInt(x[e]) & ExponentMask) == ExponentMask)
            {
                Atomic.Min(ref found[0], e);
                return;
            }
        }
    }
}
