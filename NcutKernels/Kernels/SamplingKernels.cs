// SamplingKernels: greedy farthest-point sampling of matrix rows in one launch of one group (float32). Rule: outputs written with =.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Kernels;

/// <summary>
/// Farthest-point sampling on the device: the whole greedy walk runs in a single launch of a single 1-D group,
/// so a walk of thousands of steps costs one launch instead of one (or two) per sample.
/// </summary>
internal static class SamplingKernels
{
    /// <summary>Most dimensions a point may have (the current pick is staged in shared memory), and most warps per group.</summary>
    public const int MaxDims = 128, MaxWarps = 32;

    /// <summary>
    /// picks[0..count) = the greedy farthest-point walk over the rows of points (rows×p, row-major), starting at row 0:
    /// step s picks the unpicked row with the largest squared distance to its nearest earlier pick, ties to the lowest
    /// row; when every unpicked row is at distance 0 (duplicates of picks) that is the lowest unpicked row. Distances are
    /// Σ_e (x[r, e] − x[pick, e])² in float32, summed over e in order (CUDA may fuse each square into the sum as an fma).
    /// minDist (rows) is scratch: a row's distance to its nearest pick, −1 once picked. Needs p ≤ <see cref="MaxDims"/>
    /// and 1 ≤ count &lt; rows. Launch: one group of a multiple of the warp size (≤ 32 warps); thread t owns rows t + T·m.
    /// Per step: update and local argmax, warp argmax (one 64-bit key per lane, see <see cref="Key"/>), barrier, warp 0
    /// reduces the warp winners and stages the new pick's coordinates, barrier.
    /// </summary>
    public static void FarthestPointSample(ArrayView<float> points, ArrayView<float> minDist, ArrayView<int> picks, int rows, int p, int count)
    {
        var centre = SharedMemory.Allocate<float>(MaxDims);
        var warpBest = SharedMemory.Allocate<ulong>(MaxWarps);
        var chosen = SharedMemory.Allocate<int>(1);
        int t = Group.IdxX, threads = Group.DimX, lane = Warp.LaneIdx, warp = Warp.WarpIdx, warps = threads / Warp.WarpSize;
        for (int e = t; e < p; e += threads)
            centre[e] = points[e];
        if (t == 0)
            picks[0] = 0;
        Group.Barrier();
        int pick = 0;
        for (int s = 1; s < count; s++)
        {
            ulong best = 0;
            for (int r = t; r < rows; r += threads)
            {
                float m = s == 1 ? float.PositiveInfinity : minDist[r];
                if (r == pick)
                {
                    m = -1f;
                }
                else if (m >= 0f)
                {
                    float acc = 0f;
                    long o = (long)r * p;
                    for (int e = 0; e < p; e++)
                    {
                        float diff = points[o + e] - centre[e];
                        acc += diff * diff;
                    }
                    if (acc < m)
                        m = acc;
                    ulong key = Key(m, r);
                    if (key > best)
                        best = key;
                }
                minDist[r] = m;
            }
            best = WarpMax(best);
            if (lane == 0)
                warpBest[warp] = best;
            Group.Barrier();
            if (warp == 0)
            {
                int arg = (int)~(uint)WarpMax(lane < warps ? warpBest[lane] : 0);
                for (int e = lane; e < p; e += Warp.WarpSize)
                    centre[e] = points[(long)arg * p + e];
                if (lane == 0)
                {
                    picks[s] = arg;
                    chosen[0] = arg;
                }
            }
            Group.Barrier();
            pick = chosen[0];
        }
    }

    /// <summary>
    /// (distance ≥ 0, row) as one integer ordered like (distance, −row): the float's bits above the complemented row, so a
    /// single 64-bit maximum finds the farthest row with ties to the lowest; 0 (no candidate) is below every key.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Key(float distance, int row) => ((ulong)Interop.FloatAsInt(distance) << 32) | ~(uint)row;

    /// <summary>The warp's largest key, on every lane (xor butterfly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong WarpMax(ulong key)
    {
        for (int mask = Warp.WarpSize / 2; mask > 0; mask >>= 1)
        {
            ulong other = Warp.ShuffleXor(key, mask);
            if (other > key)
                key = other;
        }
        return key;
    }
}
