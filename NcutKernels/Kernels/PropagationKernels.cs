// PropagationKernels: Nyström propagation — centred squared row norms, the row–anchor squared-distance tile, nearest-anchor selection with the weighted sum, and the classic extension's value matrix and normalization (its all-anchor sums are SkinnyProduct's). Rule: outputs written with =.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Kernels;

/// <summary>
/// Propagation of anchor values to rows through their nearest anchors (float32). Squared distances come from the
/// expansion ‖x − c‖² + ‖a − c‖² − 2(x − c)·(a − c) with c the anchors' column means (distances do not change under
/// translation; centring keeps the expansion from cancelling), computed by a register-blocked product tile
/// (<see cref="QuadTile"/>) and clamped at 0. Their error is a few float32 ulps of ‖x − c‖² + ‖a − c‖², so anchors
/// whose distances differ by less than that may be ordered differently from a float64 reference.
/// </summary>
internal static class PropagationKernels
{
    /// <summary>Most neighbours per row (their picks are kept in shared memory), and warps (rows) per group of <see cref="SelectNearest"/>.</summary>
    public const int MaxNeighbours = 128, SelectWarps = 8;

    /// <summary>Most candidate keys per row <see cref="SelectNearest"/> gathers before its passes (more: it scans the whole row).</summary>
    public const int CandidateCap = 256;

    /// <summary>sq[r] = Σ_k (x[r, k] − centre[k])² for r &lt; rows; one warp per row, fixed shuffle tree. 1-D groups, a multiple of the warp size.</summary>
    public static void CentredSquaredNorms(ArrayView<float> x, ArrayView<float> centre, ArrayView<float> sq, int rows, int d)
    {
        int ws = Warp.WarpSize;
        int row = Grid.IdxX * (Group.DimX / ws) + Warp.WarpIdx;
        if (row >= rows)
            return;
        int lane = Warp.LaneIdx;
        long o = (long)row * d;
        float s = 0f;
        for (int k = lane; k < d; k += ws)
        {
            float v = x[o + k] - centre[k];
            s += v * v;
        }
        for (int off = ws / 2; off > 0; off >>= 1)
            s += Warp.ShuffleDown(s, off);
        if (lane == 0)
            sq[row] = s;
    }

    /// <summary>
    /// dist[r, j] = max(0, xsq[r] + asq[j] − 2·Σ_k (x[r, k] − centre[k])·ac[j, k]) for r &lt; rows, j &lt; a: x (rows×d) raw
    /// (centred as it is staged), ac (a×d) the centred anchors, xsq and asq their centred squared norms. One 128×128 tile
    /// per group of 16×16, double-buffered stripes of depth 8 (one barrier per stripe). Grid (⌈a/128⌉, ⌈rows/128⌉): the
    /// anchor tiles of one row tile are launched next to each other, so x is read from DRAM about once.
    /// </summary>
    public static void AnchorDistanceTile(ArrayView<float> x, ArrayView<float> centre, ArrayView<float> xsq, ArrayView<float> ac, ArrayView<float> asq, ArrayView<float> dist, int rows, int a, int d)
    {
        var xS = SharedMemory.Allocate<float>(2 * QuadTile.Staged);
        var aS = SharedMemory.Allocate<float>(2 * QuadTile.Staged);
        var xQ = xS.Cast<QuadTile.Quad>();
        var aQ = aS.Cast<QuadTile.Quad>();
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * QuadTile.Threads + tx, kk = tid & 7;
        int j0 = Grid.IdxX * QuadTile.Edge, i0 = Grid.IdxY * QuadTile.Edge;
        QuadTile.Stage(xS, QuadTile.Fetch(x, tid, i0, rows, d, 0, d, kk < d ? centre[kk] : 0f), tid, 0);
        QuadTile.Stage(aS, QuadTile.Fetch(ac, tid, j0, a, d, 0, d, 0f), tid, 0);
        Group.Barrier();
        QuadTile acc = default;
        int buffer = 0;
        for (int k0 = 0; k0 < d; k0 += QuadTile.Depth)
        {
            int next = k0 + QuadTile.Depth, gk = next + kk;
            bool more = next < d;
            QuadTile.Quad xn = default, an = default;
            if (more)
            {
                xn = QuadTile.Fetch(x, tid, i0, rows, d, next, d, gk < d ? centre[gk] : 0f);
                an = QuadTile.Fetch(ac, tid, j0, a, d, next, d, 0f);
            }
            acc = QuadTile.Step(acc, xQ, aQ, buffer, tx, ty);
            if (more)
            {
                QuadTile.Stage(xS, xn, tid, 1 - buffer);
                QuadTile.Stage(aS, an, tid, 1 - buffer);
            }
            Group.Barrier();
            buffer = 1 - buffer;
        }
        StoreRow(acc.R0, xsq, asq, dist, i0 + QuadTile.Row(ty, 0), j0, tx, rows, a);
        StoreRow(acc.R1, xsq, asq, dist, i0 + QuadTile.Row(ty, 1), j0, tx, rows, a);
        StoreRow(acc.R2, xsq, asq, dist, i0 + QuadTile.Row(ty, 2), j0, tx, rows, a);
        StoreRow(acc.R3, xsq, asq, dist, i0 + QuadTile.Row(ty, 3), j0, tx, rows, a);
        StoreRow(acc.R4, xsq, asq, dist, i0 + QuadTile.Row(ty, 4), j0, tx, rows, a);
        StoreRow(acc.R5, xsq, asq, dist, i0 + QuadTile.Row(ty, 5), j0, tx, rows, a);
        StoreRow(acc.R6, xsq, asq, dist, i0 + QuadTile.Row(ty, 6), j0, tx, rows, a);
        StoreRow(acc.R7, xsq, asq, dist, i0 + QuadTile.Row(ty, 7), j0, tx, rows, a);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Row8 g, ArrayView<float> xsq, ArrayView<float> asq, ArrayView<float> dist, int row, int j0, int tx, int rows, int a)
    {
        if (row >= rows)
            return;
        float xs = xsq[row];
        long o = (long)row * a;
        for (int p = 0; p < 8; p++)
        {
            int col = j0 + QuadTile.Col(tx, p);
            if (col < a)
            {
                float gp = g.Get(p), v = xs + asq[col] - (gp + gp);
                dist[o + col] = v > 0f ? v : 0f;
            }
        }
    }

    /// <summary>
    /// For each row r &lt; rows of dist (rows×a): the K = neighbours anchors j_0..j_{K−1} with the smallest dist[r, ·] in
    /// ascending (distance, index) order — K passes, each taking the smallest <see cref="Key"/> above the previous pick's —
    /// w_t = exp(−dist[r, j_t]·scale), denom = Σ_t degrees[j_t] when useDegrees ≠ 0, else max(Σ_t w_t, 1e-30);
    /// output[r, c] = (Σ_t w_t·values[j_t, c]) / denom for c &lt; k (sums in pick order); when writeNeighbours ≠ 0 also
    /// indices[r, t] = j_t and weights[r, t] = w_t / denom (so output_r = Σ_t weights[r, t]·values[indices[r, t]]).
    /// When K ≤ the warp size the passes run over candidates only: the largest of the lanes' smallest keys bounds the K-th
    /// smallest key (at least one key per lane lies at or below it), so the keys at or below that bound (at most
    /// <see cref="CandidateCap"/>, else the whole row) are gathered in shared memory first; the picks are the same.
    /// Needs 1 ≤ K ≤ min(a, <see cref="MaxNeighbours"/>) and dist ≥ 0. One warp per row, at most <see cref="SelectWarps"/>
    /// warps per 1-D group, grid ⌈rows/warps⌉; the picks are kept in shared memory.
    /// </summary>
    public static void SelectNearest(ArrayView<float> dist, ArrayView<float> values, ArrayView<float> degrees, ArrayView<float> output,
        ArrayView<int> indices, ArrayView<float> weights, int rows, int a, int k, int neighbours, float scale, int useDegrees, int writeNeighbours)
    {
        var pickIndex = SharedMemory.Allocate<int>(SelectWarps * MaxNeighbours);
        var pickWeight = SharedMemory.Allocate<float>(SelectWarps * MaxNeighbours);
        var candidates = SharedMemory.Allocate<ulong>(SelectWarps * CandidateCap);
        var counts = SharedMemory.Allocate<int>(SelectWarps);
        int ws = Warp.WarpSize, lane = Warp.LaneIdx, warp = Warp.WarpIdx, slot = warp * MaxNeighbours, pool = warp * CandidateCap;
        int row = Grid.IdxX * (Group.DimX / ws) + warp;
        if (row >= rows)
            return;
        long o = (long)row * a;
        int count = -1; // candidates gathered, or −1: every pass scans the whole row
        if (neighbours <= ws)
        {
            ulong laneMin = ulong.MaxValue;
            for (int j = lane; j < a; j += ws)
            {
                ulong key = Key(dist[o + j], j);
                if (key < laneMin)
                    laneMin = key;
            }
            ulong bound = SamplingKernels.WarpMax(laneMin);
            if (lane == 0)
                counts[warp] = 0;
            Warp.Barrier();
            for (int j = lane; j < a; j += ws)
            {
                ulong key = Key(dist[o + j], j);
                if (key <= bound)
                {
                    int at = Atomic.Add(ref counts[warp], 1);
                    if (at < CandidateCap)
                        candidates[pool + at] = key;
                }
            }
            Warp.Barrier();
            count = counts[warp];
            if (count > CandidateCap)
                count = -1;
        }
        float wsum = 0f, dsum = 0f;
        ulong lower = 0;
        for (int t = 0; t < neighbours; t++)
        {
            ulong best = ulong.MaxValue;
            if (count >= 0)
            {
                for (int c = lane; c < count; c += ws)
                {
                    ulong key = candidates[pool + c];
                    if (key >= lower && key < best)
                        best = key;
                }
            }
            else
            {
                for (int j = lane; j < a; j += ws)
                {
                    ulong key = Key(dist[o + j], j);
                    if (key >= lower && key < best)
                        best = key;
                }
            }
            best = WarpMin(best);
            lower = best + 1;
            int pick = (int)(uint)best;
            float w = MathF.Exp(-Interop.IntAsFloat((uint)(best >> 32)) * scale);
            wsum += w;
            if (useDegrees != 0)
                dsum += degrees[pick];
            if (lane == 0)
            {
                pickIndex[slot + t] = pick;
                pickWeight[slot + t] = w;
            }
        }
        Warp.Barrier();
        float denom = useDegrees != 0 ? dsum : wsum > 1e-30f ? wsum : 1e-30f;
        for (int c = lane; c < k; c += ws)
        {
            float s = 0f;
            for (int t = 0; t < neighbours; t++)
                s += pickWeight[slot + t] * values[(long)pickIndex[slot + t] * k + c];
            output[(long)row * k + c] = s / denom;
        }
        if (writeNeighbours == 0)
            return;
        for (int t = lane; t < neighbours; t += ws)
        {
            long e = (long)row * neighbours + t;
            indices[e] = pickIndex[slot + t];
            weights[e] = pickWeight[slot + t] / denom;
        }
    }

    /// <summary>(distance ≥ 0, anchor) as one integer ordered like the pair: the float's bits above the index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(float distance, int anchor) => ((ulong)Interop.FloatAsInt(distance) << 32) | (uint)anchor;

    /// <summary>The warp's smallest key, on every lane (xor butterfly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong WarpMin(ulong key)
    {
        for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
        {
            ulong other = Warp.ShuffleXor(key, mask);
            if (other < key)
                key = other;
        }
        return key;
    }

    /// <summary>
    /// The classic extension's value matrix (=, s×(k+1)): values[j, c] = (float)(((double)vectors[c, rows[j]]·columnSign[c])·
    /// rowScale[j] / columnDivisor[c]) for c &lt; k, in float64 in that order (IEEE multiplications and division, one rounding to
    /// float32 at the end), and values[j, k] = 1; vectors k×m (row c = eigenvector c over the m landmarks), rows, rowScale
    /// length s, columnSign and columnDivisor length k. One thread per output element e = j·(k+1) + c (a 1-D grid: s may
    /// exceed the 65535 of a grid's y extent).
    /// </summary>
    public static void ClassicValues(Index1D e, ArrayView<float> vectors, ArrayView<int> rows, ArrayView<double> rowScale, ArrayView<double> columnSign,
        ArrayView<double> columnDivisor, ArrayView<float> values, int m, int k)
    {
        int j = e / (k + 1), c = e - j * (k + 1);
        values[e] = c < k ? (float)((double)vectors[(long)c * m + rows[j]] * columnSign[c] * rowScale[j] / columnDivisor[c]) : 1f;
    }

    /// <summary>
    /// The classic extension's last step (=): output[r, c] = sums[r, c]·count/√(count·sums[r, k]) for c &lt; k, or 0 where
    /// count·sums[r, k] ≤ floor; sums rows×(k+1) (the last column the row's total weight / count). One thread per output
    /// element e = r·k + c (a 1-D grid: rows may exceed the 65535 of a grid's y extent).
    /// </summary>
    public static void FinishClassic(Index1D e, ArrayView<float> sums, ArrayView<float> output, int k, float count, float floor)
    {
        int r = e / k, c = e - r * k;
        float total = sums[(long)r * (k + 1) + k] * count;
        float scale = total > floor ? count / MathF.Sqrt(total) : 0f;
        output[(long)r * k + c] = sums[(long)r * (k + 1) + c] * scale;
    }
}
