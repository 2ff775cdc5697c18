// QuadTile: one thread's 8×8 register block of a 128×128 product tile read from shared memory as float4 quads, and the stripe fetch/stage helpers (no outputs of their own).
using System.Runtime.CompilerServices;
using ILGPU;

namespace NcutKernels.Kernels;

/// <summary>
/// Register blocking for tiled products (float32) like <see cref="Tile8x8"/>, but thread (tx, ty) of a 16×16 group owns
/// rows <see cref="Row"/>(ty, q) = 4ty + q (q &lt; 4) and 64 + 4ty + q − 4, and likewise columns <see cref="Col"/>(tx, p), so
/// each depth step reads its operands as four float4 quads (ld.shared.v4) instead of sixteen floats: the shared-memory
/// pipe stays well below the 64 fused multiply-adds per step. Operands are staged <see cref="Depth"/> deep, element
/// [kk·Stride + r], in two buffers of <see cref="Staged"/> floats each, so a stripe is fetched into registers while the
/// previous one is multiplied and a single barrier per stripe suffices.
/// </summary>
internal struct QuadTile
{
    /// <summary>The shared tile geometry (<see cref="TileGeometry"/>: conflict-free staging, 16-byte rows).</summary>
    public const int Edge = TileGeometry.Edge, Depth = TileGeometry.Depth, Threads = TileGeometry.Threads, Stride = TileGeometry.Stride, Staged = TileGeometry.Staged;

    /// <summary>Rows q = 0..7 of the thread's block (see <see cref="Row"/>); element p is column <see cref="Col"/>(tx, p).</summary>
    public Row8 R0, R1, R2, R3, R4, R5, R6, R7;

    /// <summary>Four floats read or written together.</summary>
    public struct Quad
    {
        public float X, Y, Z, W;
    }

    /// <summary>Tile row of block row q for thread row ty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Row(int ty, int q) => q < 4 ? 4 * ty + q : 60 + 4 * ty + q;

    /// <summary>Tile column of block column p for thread column tx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Col(int tx, int p) => p < 4 ? 4 * tx + p : 60 + 4 * tx + p;

    /// <summary>
    /// Returns c + Σ_kk a[kk, Row(ty, q)]·b[kk, Col(tx, p)] over the stripe staged at quad offset buffer·Staged/4 of a and b
    /// (shared views cast to quads).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static QuadTile Step(QuadTile c, ArrayView<Quad> a, ArrayView<Quad> b, int buffer, int tx, int ty)
    {
        int o = buffer * (Staged / 4);
        for (int kk = 0; kk < Depth; kk++)
        {
            int row = o + kk * (Stride / 4);
            Quad a0 = a[row + ty], a1 = a[row + 16 + ty], b0 = b[row + tx], b1 = b[row + 16 + tx];
            var bv = new Row8(b0.X, b0.Y, b0.Z, b0.W, b1.X, b1.Y, b1.Z, b1.W);
            c.R0 = Row8.Fma(c.R0, a0.X, bv);
            c.R1 = Row8.Fma(c.R1, a0.Y, bv);
            c.R2 = Row8.Fma(c.R2, a0.Z, bv);
            c.R3 = Row8.Fma(c.R3, a0.W, bv);
            c.R4 = Row8.Fma(c.R4, a1.X, bv);
            c.R5 = Row8.Fma(c.R5, a1.Y, bv);
            c.R6 = Row8.Fma(c.R6, a1.Z, bv);
            c.R7 = Row8.Fma(c.R7, a1.W, bv);
        }
        return c;
    }

    /// <summary>
    /// The four elements of a 128×8 stripe of a row-major matrix (rows indexed by the tile) that thread tid moves:
    /// src[(r0 + r)·ld + k0 + (tid &amp; 7)] − shift for r = tid/8 + 32l (l = X, Y, Z, W), zero where r0 + r ≥ rowEnd or
    /// k0 + (tid &amp; 7) ≥ kEnd. The column is the same for all four, so a caller centring columns passes its centre as shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad Fetch(ArrayView<float> src, int tid, int r0, int rowEnd, int ld, int k0, int kEnd, float shift)
    {
        int r = r0 + (tid >> 3), gk = k0 + (tid & 7);
        bool inK = gk < kEnd;
        Quad q;
        q.X = inK && r < rowEnd ? src[(long)r * ld + gk] - shift : 0f;
        q.Y = inK && r + 32 < rowEnd ? src[(long)(r + 32) * ld + gk] - shift : 0f;
        q.Z = inK && r + 64 < rowEnd ? src[(long)(r + 64) * ld + gk] - shift : 0f;
        q.W = inK && r + 96 < rowEnd ? src[(long)(r + 96) * ld + gk] - shift : 0f;
        return q;
    }

    /// <summary>Writes a <see cref="Fetch"/>ed quad into staging buffer <paramref name="buffer"/> of dst (conflict-free across a warp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stage(ArrayView<float> dst, Quad q, int tid, int buffer)
    {
        int o = buffer * Staged + (tid & 7) * Stride + (tid >> 3);
        dst[o] = q.X;
        dst[o + 32] = q.Y;
        dst[o + 64] = q.Z;
        dst[o + 96] = q.W;
    }
}
