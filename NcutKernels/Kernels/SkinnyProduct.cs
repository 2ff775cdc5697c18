// SkinnyProduct: the classic Nyström extension's all-anchor sum in one kernel — a chunk's squared distances turned into RBF weights as they are staged, times a few columns of anchor values (a tall, skinny product). Rule: outputs written with =.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using Quad = NcutKernels.Kernels.QuadTile.Quad;

namespace NcutKernels.Kernels;

/// <summary>
/// output = inv·exp(−dist·scale)·values (float32) for dist rows×a and values a×cols with few columns (cols = k + 1 of the
/// classic extension). A group of <see cref="Threads"/> owns a block of <see cref="Rows"/> rows × <see cref="Cols"/>
/// columns; thread t holds a 4×4 register block: rows rg + 32i (rg = t/8, i &lt; 4) and columns 4·(t mod 8) + p (p &lt; 4).
/// The anchors go in steps of <see cref="Depth"/>: the step's 128×32 distances (one row's 32 anchors per warp load,
/// coalesced) become weights as they are written to shared memory, row-major with a padded stride, and the 32×32
/// values beside them; each thread then reads its rows' weights and the values as float4 quads (conflict-free: a warp
/// reads four consecutive rows, or eight consecutive quads of one values row). Two staging buffers: the next step is
/// fetched into registers while the current one is multiplied, one barrier per step. Each distance is read from DRAM
/// once per column tile (the column tiles of a row block are neighbouring groups, so with more than 32 columns the
/// re-reads mostly hit L2).
/// Summation order, per output element: anchors ascending within a step into a partial sum started at zero, then the
/// steps' partial sums added into the total in step order. It depends on a alone — not on rows, the row's place in its
/// block, or the chunk — so a row's result is bit-identical whichever chunk it is computed in; and the two levels keep
/// the float32 rounding error near (32 + a/32) ulps rather than a ulps.
/// </summary>
internal static class SkinnyProduct
{
    /// <summary>Rows and columns of a group's output block, anchors per step, threads per (1-D) group.</summary>
    public const int Rows = 128, Cols = 32, Depth = 32, Threads = 256;

    /// <summary>Padded stride of a staged weight row (a multiple of 4: rows stay 16-byte aligned) and the floats of one staging buffer of weights and of values.</summary>
    private const int WeightStride = Depth + 4, WeightsStaged = Rows * WeightStride, ValuesStaged = Depth * Cols;

    /// <summary>Groups for rows × cols: ⌈rows/128⌉ row blocks × ⌈cols/32⌉ column tiles, on grid X (CUDA allows 2³¹ − 1 there).</summary>
    public static int Groups(int rows, int cols) => checked((rows + Rows - 1) / Rows * ((cols + Cols - 1) / Cols));

    /// <summary>
    /// output[r, c] = inv·Σ_j exp(−dist[r, j]·scale)·values[j, c] for r &lt; rows, c &lt; cols: dist (rows×a) the chunk's squared
    /// distances, values (a×cols), both row-major. 1-D groups of <see cref="Threads"/>, grid <see cref="Groups"/>; group g
    /// takes row block g / ⌈cols/32⌉ and column tile g mod ⌈cols/32⌉.
    /// </summary>
    public static void RbfWeightedSums(ArrayView<float> dist, ArrayView<float> values, ArrayView<float> output, int rows, int a, int cols, float scale, float inv)
    {
        var weightsS = SharedMemory.Allocate<float>(2 * WeightsStaged);
        var valuesS = SharedMemory.Allocate<float>(2 * ValuesStaged);
        var weightsQ = weightsS.Cast<Quad>();
        var valuesQ = valuesS.Cast<Quad>();
        int tid = Group.IdxX, lane = tid & 31, warp = tid >> 5, cg = tid & 7, rg = tid >> 3;
        int colTiles = (cols + Cols - 1) / Cols, i0 = Grid.IdxX / colTiles * Rows, c0 = Grid.IdxX % colTiles * Cols;
        var w = FetchWeights(dist, i0, rows, a, 0, warp, lane);
        var v = FetchValues(values, a, cols, c0, 0, warp, lane);
        StageWeights(weightsS, w, scale, 0, warp, lane);
        StageValues(valuesS, v, 0, warp, lane);
        Group.Barrier();
        Block total = default;
        int buffer = 0;
        for (int j0 = 0; j0 < a; j0 += Depth)
        {
            int next = j0 + Depth;
            bool more = next < a;
            if (more)
            {
                w = FetchWeights(dist, i0, rows, a, next, warp, lane);
                v = FetchValues(values, a, cols, c0, next, warp, lane);
            }
            total = Add(total, Step(weightsQ, valuesQ, buffer, rg, cg));
            if (more)
            {
                StageWeights(weightsS, w, scale, 1 - buffer, warp, lane);
                StageValues(valuesS, v, 1 - buffer, warp, lane);
            }
            Group.Barrier();
            buffer = 1 - buffer;
        }
        int col = c0 + 4 * cg;
        Store(total.R0, output, i0 + rg, col, rows, cols, inv);
        Store(total.R1, output, i0 + rg + 32, col, rows, cols, inv);
        Store(total.R2, output, i0 + rg + 64, col, rows, cols, inv);
        Store(total.R3, output, i0 + rg + 96, col, rows, cols, inv);
    }

    /// <summary>A thread's 4×4 register block (rows R0..R3, four columns each), or the 16 floats it moves per step.</summary>
    private struct Block
    {
        public Quad R0, R1, R2, R3;
    }

    /// <summary>
    /// The 16 distances thread (warp, lane) moves for the step at anchor j0: element 4q + p is dist[i0 + r, j0 + lane] for
    /// r = warp + 8·(4q + p), or 0 outside the matrix (its weight then meets zero values or lands in a row not stored).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Block FetchWeights(ArrayView<float> dist, int i0, int rows, int a, int j0, int warp, int lane)
    {
        int j = j0 + lane, r = i0 + warp;
        bool inA = j < a;
        Block b;
        b.R0 = FetchQuad(dist, r, rows, a, j, inA);
        b.R1 = FetchQuad(dist, r + 32, rows, a, j, inA);
        b.R2 = FetchQuad(dist, r + 64, rows, a, j, inA);
        b.R3 = FetchQuad(dist, r + 96, rows, a, j, inA);
        return b;
    }

    /// <summary>dist[r + 8p, j] for p &lt; 4, 0 outside the matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Quad FetchQuad(ArrayView<float> dist, int r, int rows, int a, int j, bool inA)
    {
        long o = (long)r * a + j, step = 8L * a;
        Quad q;
        q.X = inA && r < rows ? dist[o] : 0f;
        q.Y = inA && r + 8 < rows ? dist[o + step] : 0f;
        q.Z = inA && r + 16 < rows ? dist[o + 2 * step] : 0f;
        q.W = inA && r + 24 < rows ? dist[o + 3 * step] : 0f;
        return q;
    }

    /// <summary>
    /// The four values thread (warp, lane) moves for the step at anchor j0: element p is values[j0 + warp + 8p, c0 + lane],
    /// 0 outside the matrix (so padded anchors and columns add exactly nothing).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Quad FetchValues(ArrayView<float> values, int a, int cols, int c0, int j0, int warp, int lane)
    {
        int c = c0 + lane, j = j0 + warp;
        bool inCols = c < cols;
        long o = (long)j * cols + c, step = 8L * cols;
        Quad q;
        q.X = inCols && j < a ? values[o] : 0f;
        q.Y = inCols && j + 8 < a ? values[o + step] : 0f;
        q.Z = inCols && j + 16 < a ? values[o + 2 * step] : 0f;
        q.W = inCols && j + 24 < a ? values[o + 3 * step] : 0f;
        return q;
    }

    /// <summary>Writes exp(−d·scale) of <see cref="FetchWeights"/>' distances to staging buffer <paramref name="buffer"/>, element [r·WeightStride + lane] (a warp writes one row: conflict-free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StageWeights(ArrayView<float> dst, Block b, float scale, int buffer, int warp, int lane)
    {
        int o = buffer * WeightsStaged + warp * WeightStride + lane;
        StageQuad(dst, b.R0, scale, o);
        StageQuad(dst, b.R1, scale, o + 32 * WeightStride);
        StageQuad(dst, b.R2, scale, o + 64 * WeightStride);
        StageQuad(dst, b.R3, scale, o + 96 * WeightStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StageQuad(ArrayView<float> dst, Quad q, float scale, int o)
    {
        dst[o] = MathF.Exp(-q.X * scale);
        dst[o + 8 * WeightStride] = MathF.Exp(-q.Y * scale);
        dst[o + 16 * WeightStride] = MathF.Exp(-q.Z * scale);
        dst[o + 24 * WeightStride] = MathF.Exp(-q.W * scale);
    }

    /// <summary>Writes <see cref="FetchValues"/>' quad to staging buffer <paramref name="buffer"/>, element [jj·Cols + lane].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StageValues(ArrayView<float> dst, Quad q, int buffer, int warp, int lane)
    {
        int o = buffer * ValuesStaged + warp * Cols + lane;
        dst[o] = q.X;
        dst[o + 8 * Cols] = q.Y;
        dst[o + 16 * Cols] = q.Z;
        dst[o + 24 * Cols] = q.W;
    }

    /// <summary>
    /// Σ_jj weights[rg + 32i, jj]·values[jj, 4cg + p] over the step staged in <paramref name="buffer"/>, from zero, jj ascending:
    /// per four anchors, four weight quads (one per row) and four value quads feed 64 multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Block Step(ArrayView<Quad> weights, ArrayView<Quad> values, int buffer, int rg, int cg)
    {
        const int wRow = WeightStride / 4, vRow = Cols / 4;
        int wo = buffer * (WeightsStaged / 4) + rg * wRow, vo = buffer * (ValuesStaged / 4) + cg;
        Block s = default;
        for (int kq = 0; kq < Depth / 4; kq++)
        {
            Quad w0 = weights[wo + kq], w1 = weights[wo + 32 * wRow + kq], w2 = weights[wo + 64 * wRow + kq], w3 = weights[wo + 96 * wRow + kq];
            int v = vo + 4 * kq * vRow;
            s = Fma(s, w0.X, w1.X, w2.X, w3.X, values[v]);
            s = Fma(s, w0.Y, w1.Y, w2.Y, w3.Y, values[v + vRow]);
            s = Fma(s, w0.Z, w1.Z, w2.Z, w3.Z, values[v + 2 * vRow]);
            s = Fma(s, w0.W, w1.W, w2.W, w3.W, values[v + 3 * vRow]);
        }
        return s;
    }

    /// <summary>Row i of s plus wi·v, element-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Block Fma(Block s, float w0, float w1, float w2, float w3, Quad v)
    {
        s.R0 = Fma(s.R0, w0, v);
        s.R1 = Fma(s.R1, w1, v);
        s.R2 = Fma(s.R2, w2, v);
        s.R3 = Fma(s.R3, w3, v);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Quad Fma(Quad acc, float w, Quad v)
    {
        acc.X += w * v.X;
        acc.Y += w * v.Y;
        acc.Z += w * v.Z;
        acc.W += w * v.W;
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Block Add(Block t, Block s)
    {
        t.R0 = Add(t.R0, s.R0);
        t.R1 = Add(t.R1, s.R1);
        t.R2 = Add(t.R2, s.R2);
        t.R3 = Add(t.R3, s.R3);
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Quad Add(Quad t, Quad s)
    {
        t.X += s.X;
        t.Y += s.Y;
        t.Z += s.Z;
        t.W += s.W;
        return t;
    }

    /// <summary>output[row, col + p] = inv·q[p] for p &lt; 4 where inside the matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Quad q, ArrayView<float> output, int row, int col, int rows, int cols, float inv)
    {
        if (row >= rows)
            return;
        long o = (long)row * cols + col;
        if (col < cols)
            output[o] = q.X * inv;
        if (col + 1 < cols)
            output[o + 1] = q.Y * inv;
        if (col + 2 < cols)
            output[o + 2] = q.Z * inv;
        if (col + 3 < cols)
            output[o + 3] = q.W * inv;
    }
}
