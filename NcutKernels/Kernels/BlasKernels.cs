// BlasKernels: block product with symmetric M, a tiled general product, inner products, linear combinations of vectors. Rule: outputs written with =; Combine reads dst only when beta ≠ 0.
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Kernels;

/// <summary>
/// Level-2/3 kernels the Lanczos solver and the embedding backward need (float32). Vectors are rows of length n.
/// Every reduction runs in a fixed order, so results are bit-identical run to run.
/// </summary>
internal static class BlasKernels
{
    /// <summary>Columns of the block handled by one pass of <see cref="SymmetricProductPartial"/>.</summary>
    public const int Panel = 16;
    /// <summary>Rows of M staged per step and threads per group of <see cref="SymmetricProductPartial"/>.</summary>
    public const int StepRows = 64, ProductGroup = 256, PanelStride = Panel + 1, ColumnsPerGroup = 2 * ProductGroup;
    /// <summary>Threads per group of <see cref="InnerProducts"/>.</summary>
    public const int DotGroup = 32;

    /// <summary>
    /// part[s, c, j] = Σ_{i in slice s} v[c0 + c, i]·m[i, j] for c &lt; min(Panel, b − c0): each thread owns columns
    /// j and j + 256 of M (coalesced reads; M is symmetric so this is (M·v)_j), so every value of v staged in
    /// shared memory feeds two fused multiply-adds. Group 256, grid (⌈n/512⌉, slices); sliceLen is a multiple of
    /// <see cref="StepRows"/>.
    /// </summary>
    public static void SymmetricProductPartial(ArrayView<float> m, ArrayView<float> v, ArrayView<float> part, int n, int b, int c0, int sliceLen)
    {
        var vs = SharedMemory.Allocate<float>(StepRows * PanelStride);
        int t = Group.IdxX, j = Grid.IdxX * ColumnsPerGroup + t, j2 = j + ProductGroup, slice = Grid.IdxY;
        int iBegin = slice * sliceLen, iEnd = iBegin + sliceLen < n ? iBegin + sliceLen : n;
        int cols = b - c0 < Panel ? b - c0 : Panel;
        bool second = j2 < n;
        Row8 a0 = default, a1 = default, e0 = default, e1 = default;
        for (int i0 = iBegin; i0 < iEnd; i0 += StepRows)
        {
            for (int l = 0; l < StepRows * Panel / ProductGroup; l++)
            {
                int e = t + ProductGroup * l, c = e / StepRows, ii = e % StepRows, gi = i0 + ii;
                vs[ii * PanelStride + c] = c < cols && gi < iEnd ? v[(long)(c0 + c) * n + gi] : 0f;
            }
            Group.Barrier();
            int steps = iEnd - i0 < StepRows ? iEnd - i0 : StepRows;
            if (j < n)
            {
                for (int ii = 0; ii < steps; ii++)
                {
                    long row = (long)(i0 + ii) * n;
                    float mv = m[row + j];
                    float mv2 = second ? m[row + j2] : 0f;
                    int o = ii * PanelStride;
                    var lo = new Row8(vs[o], vs[o + 1], vs[o + 2], vs[o + 3], vs[o + 4], vs[o + 5], vs[o + 6], vs[o + 7]);
                    var hi = new Row8(vs[o + 8], vs[o + 9], vs[o + 10], vs[o + 11], vs[o + 12], vs[o + 13], vs[o + 14], vs[o + 15]);
                    a0 = Row8.Fma(a0, mv, lo);
                    a1 = Row8.Fma(a1, mv, hi);
                    e0 = Row8.Fma(e0, mv2, lo);
                    e1 = Row8.Fma(e1, mv2, hi);
                }
            }
            Group.Barrier();
        }
        if (j >= n)
            return;
        long o0 = (long)slice * Panel * n;
        for (int c = 0; c < cols; c++)
        {
            part[o0 + (long)c * n + j] = c < 8 ? a0.Get(c) : a1.Get(c - 8);
            if (second)
                part[o0 + (long)c * n + j2] = c < 8 ? e0.Get(c) : e1.Get(c - 8);
        }
    }

    /// <summary>y[c0 + c, j] = Σ_s part[s, c, j] in slice order. Index (j, c).</summary>
    public static void ReduceSlices(Index2D idx, ArrayView<float> part, ArrayView<float> y, int n, int c0, int slices)
    {
        int j = idx.X, c = idx.Y;
        float s = 0f;
        for (int sl = 0; sl < slices; sl++)
            s += part[((long)sl * Panel + c) * n + j];
        y[(long)(c0 + c) * n + j] = s;
    }

    /// <summary>
    /// part[sl, i, c] = Σ_{j in slice sl} a[i, j]·b[j, c] for a (rows×inner) and b (inner×cols), row-major: the K-split
    /// partial products of A·B (summed by the caller's next kernel). One 128×128 tile of one slice per group of 16×16
    /// (<see cref="Tile8x8"/>); grid (⌈cols/128⌉, ⌈rows/128⌉, slices); sliceLen is a multiple of <see cref="Tile8x8.Depth"/>.
    /// </summary>
    public static void ProductPartial(ArrayView<float> a, ArrayView<float> b, ArrayView<float> part, int rows, int inner, int cols, int sliceLen)
    {
        var aS = SharedMemory.Allocate<float>(Tile8x8.Staged);
        var bS = SharedMemory.Allocate<float>(Tile8x8.Staged);
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * Tile8x8.Threads + tx;
        int c0 = Grid.IdxX * Tile8x8.Edge, i0 = Grid.IdxY * Tile8x8.Edge, slice = Grid.IdxZ;
        int kBegin = slice * sliceLen, kEnd = kBegin + sliceLen < inner ? kBegin + sliceLen : inner;
        Tile8x8 acc = default;
        for (int k0 = kBegin; k0 < kEnd; k0 += Tile8x8.Depth)
        {
            Tile8x8.LoadRows(aS, a, tid, i0, rows, inner, k0, kEnd);
            Tile8x8.LoadColumns(bS, b, tid, c0, cols, cols, k0, kEnd);
            Group.Barrier();
            acc = Tile8x8.Step(acc, aS, bS, tx, ty);
            Group.Barrier();
        }
        var o = part.SubView((long)slice * rows * cols, (long)rows * cols);
        StoreRow(acc.R0, o, i0 + ty, c0 + tx, rows, cols);
        StoreRow(acc.R1, o, i0 + ty + 16, c0 + tx, rows, cols);
        StoreRow(acc.R2, o, i0 + ty + 32, c0 + tx, rows, cols);
        StoreRow(acc.R3, o, i0 + ty + 48, c0 + tx, rows, cols);
        StoreRow(acc.R4, o, i0 + ty + 64, c0 + tx, rows, cols);
        StoreRow(acc.R5, o, i0 + ty + 80, c0 + tx, rows, cols);
        StoreRow(acc.R6, o, i0 + ty + 96, c0 + tx, rows, cols);
        StoreRow(acc.R7, o, i0 + ty + 112, c0 + tx, rows, cols);
    }

    private static void StoreRow(Row8 v, ArrayView<float> c, int row, int col0, int rows, int cols)
    {
        if (row >= rows)
            return;
        for (int p = 0; p < 8; p++)
        {
            int col = col0 + 16 * p;
            if (col < cols)
                c[(long)row * cols + col] = v.Get(p);
        }
    }

    /// <summary>g[r, c] = Σ_i a[r, i]·b[c, i] accumulated in float64; one group of 256 per (r, c), fixed tree. Grid (q, p).</summary>
    public static void InnerProducts(ArrayView<float> a, ArrayView<float> b, ArrayView<double> g, int n, int q)
    {
        var sh = SharedMemory.Allocate<double>(DotGroup);
        int r = Grid.IdxY, c = Grid.IdxX, t = Group.IdxX;
        long ao = (long)r * n, bo = (long)c * n;
        double acc = 0;
        for (int i = t; i < n; i += DotGroup)
            acc += (double)a[ao + i] * b[bo + i];
        sh[t] = acc;
        Group.Barrier();
        for (int s = DotGroup / 2; s > 0; s >>= 1)
        {
            if (t < s)
                sh[t] += sh[t + s];
            Group.Barrier();
        }
        if (t == 0)
            g[(long)r * q + c] = sh[0];
    }

    /// <summary>dst[c, i] = beta·dst[c, i] + Σ_r coef[r, c]·a[r, i] (dst not read when beta = 0). Index (i, c).</summary>
    public static void Combine(Index2D idx, ArrayView<float> dst, ArrayView<float> a, ArrayView<float> coef, int n, int p, int q, float beta)
    {
        int i = idx.X, c = idx.Y;
        long o = (long)c * n + i;
        float s = beta == 0f ? 0f : beta * dst[o];
        for (int r = 0; r < p; r++)
            s += coef[r * q + c] * a[(long)r * n + i];
        dst[o] = s;
    }
}
