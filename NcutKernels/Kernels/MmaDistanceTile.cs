// MmaDistanceTile: the row–anchor squared-distance tile on tensor cores (inline PTX mma.sync m16n8k8 TF32, plain or 3xTF32) with a plain-float fallback off CUDA. Rule: outputs written with =.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace NcutKernels.Kernels;

/// <summary>
/// <see cref="PropagationKernels.AnchorDistanceTile"/> with the product on tensor cores. A group of 16×16 threads (8 warps,
/// arranged 2×4) owns a 128×128 tile; each warp a 64×32 block = 4×4 mma tiles of 16×8, 64 accumulators per thread in
/// value-type fields (<see cref="WarpBlock"/>). Stripes <see cref="Depth"/> deep are converted to TF32 as they are staged
/// (k-major, row stride <see cref="Stride"/>: a fragment read touches banks 8t + g, all distinct) in two buffers, the next
/// stripe fetched into registers while the current one is multiplied, one barrier per stripe. With split ≠ 0 each operand
/// is also staged as its TF32 remainder small = tf32(v − big) and a product is big·big + big·small + small·big (3xTF32),
/// close to float32 accuracy; with split = 0 it is big·big (about 10 mantissa bits per operand).
/// </summary>
internal static class MmaDistanceTile
{
    /// <summary>Tile edge, stripe depth, shared row stride (136 ≡ 8 mod 32: conflict-free fragment reads), floats per staged stripe.</summary>
    public const int Edge = QuadTile.Edge, Depth = QuadTile.Depth, Stride = Edge + 8, Staged = Depth * Stride;

    /// <summary>
    /// dist[r, j] = max(0, xsq[r] + asq[j] − 2·Σ_k (x[r, k] − centre[k])·ac[j, k]) for r &lt; rows, j &lt; a, as
    /// <see cref="PropagationKernels.AnchorDistanceTile"/> (same grid (⌈a/128⌉, ⌈rows/128⌉), groups 16×16), the dot products
    /// from TF32 tensor-core products: split = 0 plain TF32, split ≠ 0 3xTF32. Off CUDA (no inline PTX) each thread computes
    /// its share of the tile with float32 multiply-adds in k order.
    /// </summary>
    public static void AnchorDistanceTileTf32(ArrayView<float> x, ArrayView<float> centre, ArrayView<float> xsq, ArrayView<float> ac, ArrayView<float> asq, ArrayView<float> dist,
        int rows, int a, int d, int split)
    {
        if (CudaAsm.IsSupported)
            TensorTile(x, centre, xsq, ac, asq, dist, rows, a, d, split != 0);
        else
            FallbackTile(x, centre, xsq, ac, asq, dist, rows, a, d);
    }

    /// <summary>The tensor-core path (CUDA only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TensorTile(ArrayView<float> x, ArrayView<float> centre, ArrayView<float> xsq, ArrayView<float> ac, ArrayView<float> asq, ArrayView<float> dist,
        int rows, int a, int d, bool split)
    {
        var xBig = SharedMemory.Allocate<uint>(2 * Staged);
        var aBig = SharedMemory.Allocate<uint>(2 * Staged);
        var xSmall = SharedMemory.Allocate<uint>(2 * Staged);
        var aSmall = SharedMemory.Allocate<uint>(2 * Staged);
        int tid = Group.IdxY * QuadTile.Threads + Group.IdxX, kk = tid & 7, lane = tid & 31, warp = tid >> 5;
        int j0 = Grid.IdxX * Edge, i0 = Grid.IdxY * Edge;
        // Fragment coordinates: g = lane / 4 selects a row (A) or column (B), t = lane % 4 a depth; the warp's block
        // starts at tile row 64·(warp / 4) and tile column 32·(warp % 4).
        int g = lane >> 2, t = lane & 3;
        int aRead = t * Stride + 64 * (warp >> 2) + g, bRead = t * Stride + 32 * (warp & 3) + g;
        Stage(xBig, xSmall, QuadTile.Fetch(x, tid, i0, rows, d, 0, d, kk < d ? centre[kk] : 0f), tid, 0, split);
        Stage(aBig, aSmall, QuadTile.Fetch(ac, tid, j0, a, d, 0, d, 0f), tid, 0, split);
        Group.Barrier();
        WarpBlock acc = default;
        int buffer = 0;
        for (int k0 = 0; k0 < d; k0 += Depth)
        {
            int next = k0 + Depth, gk = next + kk;
            bool more = next < d;
            QuadTile.Quad xn = default, an = default;
            if (more)
            {
                xn = QuadTile.Fetch(x, tid, i0, rows, d, next, d, gk < d ? centre[gk] : 0f);
                an = QuadTile.Fetch(ac, tid, j0, a, d, next, d, 0f);
            }
            int o = buffer * Staged;
            acc = split
                ? StepSplit(acc, xBig, xSmall, aBig, aSmall, o + aRead, o + bRead)
                : StepPlain(acc, xBig, aBig, o + aRead, o + bRead);
            if (more)
            {
                Stage(xBig, xSmall, xn, tid, 1 - buffer, split);
                Stage(aBig, aSmall, an, tid, 1 - buffer, split);
            }
            Group.Barrier();
            buffer = 1 - buffer;
        }
        int row = i0 + 64 * (warp >> 2) + g, col = j0 + 32 * (warp & 3) + 2 * t;
        StoreRow(acc.M0, xsq, asq, dist, row, col, rows, a);
        StoreRow(acc.M1, xsq, asq, dist, row + 16, col, rows, a);
        StoreRow(acc.M2, xsq, asq, dist, row + 32, col, rows, a);
        StoreRow(acc.M3, xsq, asq, dist, row + 48, col, rows, a);
    }

    /// <summary>One stripe, plain TF32: 4 A and 4 B fragments (24 shared loads), 16 mma.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static WarpBlock StepPlain(WarpBlock c, ArrayView<uint> xs, ArrayView<uint> asn, int aAt, int bAt)
    {
        var b = LoadB(asn, bAt);
        c.M0 = Row(c.M0, LoadA(xs, aAt), b);
        c.M1 = Row(c.M1, LoadA(xs, aAt + 16), b);
        c.M2 = Row(c.M2, LoadA(xs, aAt + 32), b);
        c.M3 = Row(c.M3, LoadA(xs, aAt + 48), b);
        return c;
    }

    /// <summary>One stripe, 3xTF32: big and small fragments (48 shared loads), 48 mma.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static WarpBlock StepSplit(WarpBlock c, ArrayView<uint> xBig, ArrayView<uint> xSmall, ArrayView<uint> aBig, ArrayView<uint> aSmall, int aAt, int bAt)
    {
        BFrags bb = LoadB(aBig, bAt), bs = LoadB(aSmall, bAt);
        c.M0 = RowSplit(c.M0, LoadA(xBig, aAt), LoadA(xSmall, aAt), bb, bs);
        c.M1 = RowSplit(c.M1, LoadA(xBig, aAt + 16), LoadA(xSmall, aAt + 16), bb, bs);
        c.M2 = RowSplit(c.M2, LoadA(xBig, aAt + 32), LoadA(xSmall, aAt + 32), bb, bs);
        c.M3 = RowSplit(c.M3, LoadA(xBig, aAt + 48), LoadA(xSmall, aAt + 48), bb, bs);
        return c;
    }

    /// <summary>c + A·B for one 16-row strip of the warp's block (4 mma).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Strip Row(Strip c, AFrag a, BFrags b)
    {
        c.N0 = Mma(c.N0, a, b.B0, b.B1);
        c.N1 = Mma(c.N1, a, b.B2, b.B3);
        c.N2 = Mma(c.N2, a, b.B4, b.B5);
        c.N3 = Mma(c.N3, a, b.B6, b.B7);
        return c;
    }

    /// <summary>c + big·big + big·small + small·big for one 16-row strip (12 mma; small terms first, the largest last).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Strip RowSplit(Strip c, AFrag aBig, AFrag aSmall, BFrags bBig, BFrags bSmall)
    {
        c = Row(c, aSmall, bBig);
        c = Row(c, aBig, bSmall);
        return Row(c, aBig, bBig);
    }

    /// <summary>The A fragment (16 rows × 8 depths) whose element (g, t) is staged at index at: a0 (g, t), a1 (g + 8, t), a2 (g, t + 4), a3 (g + 8, t + 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static AFrag LoadA(ArrayView<uint> s, int at) => new()
    {
        A0 = s[at],
        A1 = s[at + 8],
        A2 = s[at + 4 * Stride],
        A3 = s[at + 4 * Stride + 8],
    };

    /// <summary>The warp's four B fragments (8 depths × 8 columns each, columns 8j apart): b0 (k = t, n = g), b1 (k = t + 4, n = g).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static BFrags LoadB(ArrayView<uint> s, int at) => new()
    {
        B0 = s[at],
        B1 = s[at + 4 * Stride],
        B2 = s[at + 8],
        B3 = s[at + 8 + 4 * Stride],
        B4 = s[at + 16],
        B5 = s[at + 16 + 4 * Stride],
        B6 = s[at + 24],
        B7 = s[at + 24 + 4 * Stride],
    };

    /// <summary>d = c + a·b on tensor cores: mma.sync m16n8k8, row-major A, column-major B, TF32 operands, float32 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Frag Mma(Frag c, AFrag a, uint b0, uint b1)
    {
        Output<float> d0 = default, d1 = default, d2 = default, d3 = default;
        Input<uint> ia0 = a.A0, ia1 = a.A1, ia2 = a.A2, ia3 = a.A3, ib0 = b0, ib1 = b1;
        Input<float> c0 = c.D0, c1 = c.D1, c2 = c.D2, c3 = c.D3;
        CudaAsm.EmitRef(
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};",
            ref d0, ref d1, ref d2, ref d3, ref ia0, ref ia1, ref ia2, ref ia3, ref ib0, ref ib1, ref c0, ref c1, ref c2, ref c3);
        return new Frag { D0 = d0.Value, D1 = d1.Value, D2 = d2.Value, D3 = d3.Value };
    }

    /// <summary>v rounded to TF32 (nearest, ties away), as float32 bits with the low 13 mantissa bits zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Tf32(float v)
    {
        CudaAsm.Emit("cvt.rna.tf32.f32 %0, %1;", out uint r, v);
        return r;
    }

    /// <summary>Stages a <see cref="QuadTile.Fetch"/>ed quad (depth tid % 8, tile rows tid / 8 + 32l) into buffer: big = tf32(v), and small = tf32(v − big) when split.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stage(ArrayView<uint> big, ArrayView<uint> small, QuadTile.Quad q, int tid, int buffer, bool split)
    {
        int o = buffer * Staged + (tid & 7) * Stride + (tid >> 3);
        StageOne(big, small, o, q.X, split);
        StageOne(big, small, o + 32, q.Y, split);
        StageOne(big, small, o + 64, q.Z, split);
        StageOne(big, small, o + 96, q.W, split);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StageOne(ArrayView<uint> big, ArrayView<uint> small, int at, float v, bool split)
    {
        uint hi = Tf32(v);
        big[at] = hi;
        if (split)
            small[at] = Tf32(v - Interop.IntAsFloat(hi));
    }

    /// <summary>Writes one 16-row strip of the warp's block: rows row and row + 8, columns col + 8j and col + 8j + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Strip s, ArrayView<float> xsq, ArrayView<float> asq, ArrayView<float> dist, int row, int col, int rows, int a)
    {
        StoreFrag(s.N0, xsq, asq, dist, row, col, rows, a);
        StoreFrag(s.N1, xsq, asq, dist, row, col + 8, rows, a);
        StoreFrag(s.N2, xsq, asq, dist, row, col + 16, rows, a);
        StoreFrag(s.N3, xsq, asq, dist, row, col + 24, rows, a);
    }

    /// <summary>The D fragment's four distances: d0 (row, col), d1 (row, col + 1), d2 (row + 8, col), d3 (row + 8, col + 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFrag(Frag f, ArrayView<float> xsq, ArrayView<float> asq, ArrayView<float> dist, int row, int col, int rows, int a)
    {
        float q0 = col < a ? asq[col] : 0f, q1 = col + 1 < a ? asq[col + 1] : 0f;
        if (row < rows)
            StorePair(dist, (long)row * a + col, xsq[row], q0, q1, f.D0, f.D1, col, a);
        if (row + 8 < rows)
            StorePair(dist, (long)(row + 8) * a + col, xsq[row + 8], q0, q1, f.D2, f.D3, col, a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair(ArrayView<float> dist, long at, float xs, float q0, float q1, float dot0, float dot1, int col, int a)
    {
        if (col < a)
            dist[at] = Distance(xs, q0, dot0);
        if (col + 1 < a)
            dist[at + 1] = Distance(xs, q1, dot1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Distance(float xs, float as_, float dot)
    {
        float v = xs + as_ - (dot + dot);
        return v > 0f ? v : 0f;
    }

    /// <summary>Off CUDA: thread tid computes tile entries e = tid, tid + 256, … (row e / 128, column e % 128) with float32 multiply-adds in k order.</summary>
    private static void FallbackTile(ArrayView<float> x, ArrayView<float> centre, ArrayView<float> xsq, ArrayView<float> ac, ArrayView<float> asq, ArrayView<float> dist,
        int rows, int a, int d)
    {
        int tid = Group.IdxY * QuadTile.Threads + Group.IdxX, threads = QuadTile.Threads * QuadTile.Threads;
        int j0 = Grid.IdxX * Edge, i0 = Grid.IdxY * Edge;
        for (int e = tid; e < Edge * Edge; e += threads)
        {
            int r = i0 + e / Edge, j = j0 + e % Edge;
            if (r >= rows || j >= a)
                continue;
            float dot = 0f;
            for (int k = 0; k < d; k++)
                dot += (x[(long)r * d + k] - centre[k]) * ac[(long)j * d + k];
            dist[(long)r * a + j] = Distance(xsq[r], asq[j], dot);
        }
    }

    /// <summary>One mma accumulator fragment (16×8 per warp, four floats per thread).</summary>
    private struct Frag
    {
        public float D0, D1, D2, D3;
    }

    /// <summary>A 16-row strip of a warp's block: four 16×8 fragments side by side (32 columns).</summary>
    private struct Strip
    {
        public Frag N0, N1, N2, N3;
    }

    /// <summary>A warp's 64×32 block: four strips, 64 accumulators per thread that ILGPU keeps in registers.</summary>
    private struct WarpBlock
    {
        public Strip M0, M1, M2, M3;
    }

    /// <summary>A TF32 A fragment (16×8).</summary>
    private struct AFrag
    {
        public uint A0, A1, A2, A3;
    }

    /// <summary>The warp's four TF32 B fragments (8×8 each), two registers per fragment.</summary>
    private struct BFrags
    {
        public uint B0, B1, B2, B3, B4, B5, B6, B7;
    }
}
