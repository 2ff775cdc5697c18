// GridSamplingKernels: greedy farthest-point sampling in one launch of many co-resident groups synchronized through global atomics (float32). Rule: outputs written with =, the step slots combined with atomic max.
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Kernels;

/// <summary>
/// Farthest-point sampling spread over the whole device: every group owns a contiguous slice of rows and the groups meet
/// once per step at a grid-wide barrier built from global atomics, so one launch walks all steps with every multiprocessor
/// busy. All groups of the launch must be resident at once (the host sizes the grid from the occupancy); a barrier that
/// waits longer than its poll limit sets an error flag instead of hanging.
/// </summary>
internal static class GridSamplingKernels
{
    /// <summary>Index of the arrival counter and of the error flag in the sync view.</summary>
    public const int Arrivals = 0, Error = 1;

    /// <summary>Polls between two looks at the error flag while a group waits at the barrier.</summary>
    private const int FlagEvery = 256;

    /// <summary>
    /// columns (p×rows) = the points (rows×p, row-major) transposed, so that a warp reads one coordinate of 32 consecutive
    /// rows in one transaction. One thread per point coordinate.
    /// </summary>
    public static void Transpose(Index1D i, ArrayView<float> points, ArrayView<float> columns, int rows, int p)
    {
        long r = i / p, e = i % p;
        columns[e * rows + r] = points[i];
    }

    /// <summary>
    /// picks[0..count) = the walk of <see cref="SamplingKernels.FarthestPointSample"/> (same distances, same order of
    /// summation, same ties), from the transposed points columns (p×rows). minDist (rows) is scratch as there; slots
    /// (count, zero on entry) receives each step's farthest key by atomic max; sync (2, zero on entry) holds the arrival
    /// counter and the error flag, set to 1 when a barrier waited more than spinLimit polls (picks are then incomplete).
    /// Needs p ≤ <see cref="SamplingKernels.MaxDims"/> and 1 ≤ count &lt; rows. Launch: G groups, all resident at once, of a
    /// multiple of the warp size (≤ 32 warps); group g owns rows [g·⌈rows/G⌉, (g+1)·⌈rows/G⌉) ∩ [0, rows) and its thread t
    /// the rows t + T·m of that slice. Per step: update and local argmax, group argmax, one thread publishes it (atomic max
    /// into the step's slot, fence, arrival) and waits until all G groups have arrived, reads the slot, warp 0 stages the
    /// pick, barrier. Each step has a slot of its own, so one grid barrier per step suffices.
    /// </summary>
    public static void FarthestPointSample(ArrayView<float> columns, ArrayView<float> minDist, ArrayView<int> picks,
        ArrayView<ulong> slots, ArrayView<int> sync, int rows, int p, int count, int spinLimit)
    {
        var centre = SharedMemory.Allocate<float>(SamplingKernels.MaxDims);
        var warpBest = SharedMemory.Allocate<ulong>(SamplingKernels.MaxWarps);
        var chosen = SharedMemory.Allocate<int>(1);
        int t = Group.IdxX, threads = Group.DimX, lane = Warp.LaneIdx, warp = Warp.WarpIdx, warps = threads / Warp.WarpSize;
        int g = Grid.IdxX, groups = Grid.DimX;
        int slice = (rows + groups - 1) / groups;
        int lo = (int)Math.Min((long)g * slice, rows), hi = (int)Math.Min((long)lo + slice, rows);
        for (int e = t; e < p; e += threads)
            centre[e] = columns[(long)e * rows];
        if (g == 0 && t == 0)
            picks[0] = 0;
        Group.Barrier();
        int pick = 0;
        for (int s = 1; s < count; s++)
        {
            ulong best = 0;
            for (int r = lo + t; r < hi; r += threads)
            {
                float m = s == 1 ? float.PositiveInfinity : minDist[r];
                if (r == pick)
                {
                    minDist[r] = -1f;
                }
                else if (m >= 0f)
                {
                    float acc = 0f;
                    for (int e = 0; e < p; e++)
                    {
                        float diff = columns[(long)e * rows + r] - centre[e];
                        acc += diff * diff;
                    }
                    // Only changed distances go back to memory (late steps change few rows).
                    bool write = s == 1;
                    if (acc < m)
                    {
                        m = acc;
                        write = true;
                    }
                    if (write)
                        minDist[r] = m;
                    ulong key = SamplingKernels.Key(m, r);
                    if (key > best)
                        best = key;
                }
            }
            best = SamplingKernels.WarpMax(best);
            if (lane == 0)
                warpBest[warp] = best;
            Group.Barrier();
            if (warp == 0)
            {
                ulong mine = SamplingKernels.WarpMax(lane < warps ? warpBest[lane] : 0);
                int arg = -1;
                if (lane == 0)
                    arg = Meet(slots, sync, s, mine, groups, spinLimit);
                arg = Warp.Shuffle(arg, 0);
                if (arg >= 0)
                {
                    for (int e = lane; e < p; e += Warp.WarpSize)
                        centre[e] = columns[(long)e * rows + arg];
                }
                if (lane == 0)
                {
                    chosen[0] = arg;
                    if (g == 0 && arg >= 0)
                        picks[s] = arg;
                }
            }
            Group.Barrier();
            pick = chosen[0];
            if (pick < 0)
                return;
        }
    }

    /// <summary>
    /// The grid barrier of step s, run by one thread per group: publishes the group's key into slots[s], arrives, waits
    /// until s·groups arrivals, and returns the step's pick (the row of the largest key) — or −1 after setting the error
    /// flag when the wait exceeds spinLimit polls or another group has set the flag.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Meet(ArrayView<ulong> slots, ArrayView<int> sync, int s, ulong key, int groups, int spinLimit)
    {
        Atomic.Max(ref slots[s], key);
        MemoryFence.DeviceLevel();
        Atomic.Add(ref sync[Arrivals], 1);
        int target = s * groups;
        for (int poll = 0; Atomic.Or(ref sync[Arrivals], 0) < target; poll++)
        {
            if (poll >= spinLimit || (poll % FlagEvery == FlagEvery - 1 && Atomic.Or(ref sync[Error], 0) != 0))
            {
                Atomic.Exchange(ref sync[Error], 1);
                return -1;
            }
        }
        MemoryFence.DeviceLevel();
        return (int)~(uint)Atomic.Max(ref slots[s], 0UL);
    }
}
