// MmaDistanceTile: the row–anchor squared-distance tile on tensor cores (inline PTX mma.sync m16n8k8 TF32, plain or 3xTF32) with a plain-float fallback off CUDA. Rule: outputs written with =.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace NcutKernels.Kernels;

/// <summary>
/// <see cref="PropagationKernels.AnchorDistanceTile"/> with the product on tensor cores. A group of 16×16 threads (8 warps,
/// arranged 2×4) owns a 128×128 tile; each warp a 64×32 block = 4×4 mma tiles of 16×8, 64 accumulators per thread in
/// value-type fields (<see cref="WarpBlock"/>). Stripes <see cref="Depth"/> = 16 deep (two 8-deep halves, each one
/// <see cref="QuadTile.Fetch"/> per operand) are staged k-major with row stride <see cref="Stride"/> (a fragment read touches
/// banks 8t + g, all distinct) in two buffers, the next stripe fetched into registers while the current one is multiplied,
/// one barrier per stripe: 32 mma per warp per barrier in TF32, 96 in 3xTF32, enough to cover the global loads' latency.
/// Plain TF32 stages tf32(v); 3xTF32 stages v itself and splits each fragment as it is read, big = tf32(v) and
/// small = tf32(v − big), a product being big·big + big·small + small·big (close to float32 accuracy); plain TF32 is
/// big·big (about 10 mantissa bits per operand). Both fit in 34 KB of shared memory.
/// </summary>
internal static class MmaDistanceTile
{
    /// <summary>Tile edge, stripe depth, shared row stride (136 ≡ 8 mod 32: conflict-free fragment reads), words per staged stripe.</summary>
    public const int Edge = QuadTile.Edge, Depth = 2 * QuadTile.Depth, Stride = Edge + 8, Staged = Depth * Stride;

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
        var xs = SharedMemory.Allocate<uint>(2 * Staged);
        var asn = SharedMemory.Allocate<uint>(2 * Staged);
        int tid = Group.IdxY * QuadTile.Threads + Group.IdxX, kk = tid & 7, lane = tid & 31, warp = tid >> 5;
        int j0 = Grid.IdxX * Edge, i0 = Grid.IdxY * Edge;
        // Fragment coordinates: g = lane / 4 selects a row (A) or column (B), t = lane % 4 a depth; the warp's block
        // starts at tile row 64·(warp / 4) and tile column 32·(warp % 4).
        int g = lane >> 2, t = lane & 3;
        int aRead = t * Stride + 64 * (warp >> 2) + g, bRead = t * Stride + 32 * (warp & 3) + g;
        const int Half = QuadTile.Depth, HalfOffset = Half * Stride;
        Stage(xs, QuadTile.Fetch(x, tid, i0, rows, d, 0, d, kk < d ? centre[kk] : 0f), tid, 0, split);
        Stage(xs, QuadTile.Fetch(x, tid, i0, rows, d, Half, d, Half + kk < d ? centre[Half + kk] : 0f), tid, HalfOffset, split);
        Stage(asn, QuadTile.Fetch(ac, tid, j0, a, d, 0, d, 0f), tid, 0, split);
        Stage(asn, QuadTile.Fetch(ac, tid, j0, a, d, Half, d, 0f), tid, HalfOffset, split);
        Group.Barrier();
        WarpBlock acc = default;
        int buffer = 0;
        for (int k0 = 0; k0 < d; k0 += Depth)
        {
            int next = k0 + Depth, gk0 = next + kk, gk1 = next + Half + kk;
            bool more = next < d;
            QuadTile.Quad x0 = default, x1 = default, a0 = default, a1 = default;
            if (more)
            {
                x0 = QuadTile.Fetch(x, tid, i0, rows, d, next, d, gk0 < d ? centre[gk0] : 0f);
                x1 = QuadTile.Fetch(x, tid, i0, rows, d, next + Half, d, gk1 < d ? centre[gk1] : 0f);
                a0 = QuadTile.Fetch(ac, tid, j0, a, d, next, d, 0f);
                a1 = QuadTile.Fetch(ac, tid, j0, a, d, next + Half, d, 0f);
            }
            int o = buffer * Staged;
            if (split)
            {
                acc = StepSplit(acc, xs, asn, o + aRead, o + bRead);
                acc = StepSplit(acc, xs, asn, o + HalfOffset + aRead, o + HalfOffset + bRead);
            }
            else
            {
                acc = StepPlain(acc, xs, asn, o + aRead, o + bRead);
                acc = StepPlain(acc, xs, asn, o + HalfOffset + aRead, o + HalfOffset + bRead);
            }
            if (more)
            {
                int n = (1 - buffer) * Staged;
                Stage(xs, x0, tid, n, split);
                Stage(xs, x1, tid, n + HalfOffset, split);
                Stage(asn, a0, tid, n, split);
                Stage(asn, a1, tid, n + HalfOffset, split);
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

    /// <summary>One 8-deep half-stripe, plain TF32 (staged already rounded): 4 A and 4 B fragments (24 shared loads), 16 mma.</summary>
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

    /// <summary>One 8-deep half-stripe, 3xTF32 (staged as float32 bits, split here): 24 shared loads, 48 mma.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static WarpBlock StepSplit(WarpBlock c, ArrayView<uint> xs, ArrayView<uint> asn, int aAt, int bAt)
    {
        var b = SplitB(LoadB(asn, bAt));
        c.M0 = RowSplit(c.M0, SplitA(LoadA(xs, aAt)), b);
        c.M1 = RowSplit(c.M1, SplitA(LoadA(xs, aAt + 16)), b);
        c.M2 = RowSplit(c.M2, SplitA(LoadA(xs, aAt + 32)), b);
        c.M3 = RowSplit(c.M3, SplitA(LoadA(xs, aAt + 48)), b);
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
    private static Strip RowSplit(Strip c, APair a, BPair b)
    {
        c = Row(c, a.Small, b.Big);
        c = Row(c, a.Big, b.Small);
        return Row(c, a.Big, b.Big);
    }

    /// <summary>An A fragment of float32 bits as TF32 big = tf32(v) and small = tf32(v − big).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static APair SplitA(AFrag raw)
    {
        APair p = default;
        (p.Big.A0, p.Small.A0) = Split(raw.A0);
        (p.Big.A1, p.Small.A1) = Split(raw.A1);
        (p.Big.A2, p.Small.A2) = Split(raw.A2);
        (p.Big.A3, p.Small.A3) = Split(raw.A3);
        return p;
    }

    /// <summary>The warp's B fragments of float32 bits as TF32 big and small parts (see <see cref="SplitA"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static BPair SplitB(BFrags raw)
    {
        BPair p = default;
        (p.Big.B0, p.Small.B0) = Split(raw.B0);
        (p.Big.B1, p.Small.B1) = Split(raw.B1);
        (p.Big.B2, p.Small.B2) = Split(raw.B2);
        (p.Big.B3, p.Small.B3) = Split(raw.B3);
        (p.Big.B4, p.Small.B4) = Split(raw.B4);
        (p.Big.B5, p.Small.B5) = Split(raw.B5);
        (p.Big.B6, p.Small.B6) = Split(raw.B6);
        (p.Big.B7, p.Small.B7) = Split(raw.B7);
        return p;
    }

    /// <summary>(tf32(v), tf32(v − tf32(v))) for v given as float32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (uint big, uint small) Split(uint bits)
    {
        float v = Interop.IntAsFloat(bits);
        uint hi = Tf32(v);
        return (hi, Tf32(v - Interop.IntAsFloat(hi)));
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

    /// <summary>
    /// Stages a <see cref="QuadTile.Fetch"/>ed quad (depth tid % 8, tile rows tid / 8 + 32l) at word offset o (buffer and half):
    /// tf32(v) for plain TF32, v's float32 bits for 3xTF32 (split when read).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Stage(ArrayView<uint> dst, QuadTile.Quad q, int tid, int o, bool split)
    {
        int at = o + (tid & 7) * Stride + (tid >> 3);
        dst[at] = split ? Interop.FloatAsInt(q.X) : Tf32(q.X);
        dst[at + 32] = split ? Interop.FloatAsInt(q.Y) : Tf32(q.Y);
        dst[at + 64] = split ? Interop.FloatAsInt(q.Z) : Tf32(q.Z);
        dst[at + 96] = split ? Interop.FloatAsInt(q.W) : Tf32(q.W);
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

    /// <summary>An A fragment's TF32 big and small parts (3xTF32).</summary>
    private struct APair
    {
        public AFrag Big, Small;
    }

    /// <summary>The warp's B fragments' TF32 big and small parts (3xTF32).</summary>
    private struct BPair
    {
        public BFrags Big, Small;
    }
}
