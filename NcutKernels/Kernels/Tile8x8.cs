// Tile8x8: one thread's 8×8 register block of a 128×128 product tile and the shared-memory stripe loaders the tiled product kernels share (no outputs of their own).
using System.Runtime.CompilerServices;
using ILGPU;

namespace NcutKernels.Kernels;

/// <summary>
/// Register blocking for tiled products (float32): a group of 16×16 threads computes a 128×128 output tile;
/// thread (tx, ty) owns rows ty + 16q and columns tx + 16p (q, p &lt; 8), so stores are coalesced across tx.
/// Both operands are staged <see cref="Depth"/> deep in shared memory, element [kk·Stride + r].
/// </summary>
internal struct Tile8x8
{
    /// <summary>The shared tile geometry (<see cref="TileGeometry"/>).</summary>
    public const int Edge = TileGeometry.Edge, Depth = TileGeometry.Depth, Threads = TileGeometry.Threads, Stride = TileGeometry.Stride, Staged = TileGeometry.Staged;

    /// <summary>Rows q = 0..7 of the thread's block.</summary>
    public Row8 R0, R1, R2, R3, R4, R5, R6, R7;

    /// <summary>Returns c + Σ_kk a[kk, ty + 16q]·b[kk, tx + 16p] over one staged stripe.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tile8x8 Step(Tile8x8 c, ArrayView<float> a, ArrayView<float> b, int tx, int ty)
    {
        for (int kk = 0; kk < Depth; kk++)
        {
            int ao = kk * Stride + ty, bo = kk * Stride + tx;
            var row = new Row8(b[bo], b[bo + 16], b[bo + 32], b[bo + 48], b[bo + 64], b[bo + 80], b[bo + 96], b[bo + 112]);
            c.R0 = Row8.Fma(c.R0, a[ao], row);
            c.R1 = Row8.Fma(c.R1, a[ao + 16], row);
            c.R2 = Row8.Fma(c.R2, a[ao + 32], row);
            c.R3 = Row8.Fma(c.R3, a[ao + 48], row);
            c.R4 = Row8.Fma(c.R4, a[ao + 64], row);
            c.R5 = Row8.Fma(c.R5, a[ao + 80], row);
            c.R6 = Row8.Fma(c.R6, a[ao + 96], row);
            c.R7 = Row8.Fma(c.R7, a[ao + 112], row);
        }
        return c;
    }

    /// <summary>Returns c + Σ_kk (a[kk, ty + 16q] − b[kk, tx + 16p])² over one staged stripe (the direct-difference distances).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tile8x8 StepSquaredDifferences(Tile8x8 c, ArrayView<float> a, ArrayView<float> b, int tx, int ty)
    {
        for (int kk = 0; kk < Depth; kk++)
        {
            int ao = kk * Stride + ty, bo = kk * Stride + tx;
            var row = new Row8(b[bo], b[bo + 16], b[bo + 32], b[bo + 48], b[bo + 64], b[bo + 80], b[bo + 96], b[bo + 112]);
            c.R0 = Row8.AddSquaredDifferences(c.R0, a[ao], row);
            c.R1 = Row8.AddSquaredDifferences(c.R1, a[ao + 16], row);
            c.R2 = Row8.AddSquaredDifferences(c.R2, a[ao + 32], row);
            c.R3 = Row8.AddSquaredDifferences(c.R3, a[ao + 48], row);
            c.R4 = Row8.AddSquaredDifferences(c.R4, a[ao + 64], row);
            c.R5 = Row8.AddSquaredDifferences(c.R5, a[ao + 80], row);
            c.R6 = Row8.AddSquaredDifferences(c.R6, a[ao + 96], row);
            c.R7 = Row8.AddSquaredDifferences(c.R7, a[ao + 112], row);
        }
        return c;
    }

    /// <summary>
    /// dst[kk·Stride + r] = src[(r0 + r)·ld + k0 + kk] for r &lt; 128, kk &lt; 8, zero where r0 + r ≥ rowEnd or k0 + kk ≥ kEnd:
    /// a 128×8 stripe of a row-major matrix whose rows the tile indexes. Called by all 256 threads (4 elements each).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadRows(ArrayView<float> dst, ArrayView<float> src, int tid, int r0, int rowEnd, int ld, int k0, int kEnd)
    {
        for (int l = 0; l < 4; l++)
        {
            int e = tid + 256 * l, r = e >> 3, kk = e & 7, gr = r0 + r, gk = k0 + kk;
            dst[kk * Stride + r] = gr < rowEnd && gk < kEnd ? src[(long)gr * ld + gk] : 0f;
        }
    }

    /// <summary>
    /// dst[kk·Stride + c] = src[(k0 + kk)·ld + c0 + c] for c &lt; 128, kk &lt; 8, zero where c0 + c ≥ colEnd or k0 + kk ≥ kEnd:
    /// an 8×128 stripe of a row-major matrix whose columns the tile indexes (coalesced). Called by all 256 threads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadColumns(ArrayView<float> dst, ArrayView<float> src, int tid, int c0, int colEnd, int ld, int k0, int kEnd)
    {
        for (int l = 0; l < 4; l++)
        {
            int e = tid + 256 * l, kk = e >> 7, c = e & 127, gc = c0 + c, gk = k0 + kk;
            dst[kk * Stride + c] = gc < colEnd && gk < kEnd ? src[(long)gk * ld + gc] : 0f;
        }
    }
}
