// IlgpuNystromSampling: IlgpuNystrom's farthest-point sampling — the grid walk on CUDA (all multiprocessors, one launch), the one-group walk elsewhere and as the grid walk's fallback.
using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Kernels;

namespace NcutKernels.Backends.Ilgpu;

internal sealed partial class IlgpuNystrom
{
    /// <summary>Polls a group of the grid walk waits at one barrier before it gives up (the walk then falls back to one group).</summary>
    public const int GridSpinLimit = 1 << 22;


    /// <summary>
    /// Greedy farthest-point sampling of the rows of points (rows×p, row-major, p ≤ <see cref="SamplingKernels.MaxDims"/>)
    /// from row 0, ties to the lowest row, a picked row never again (when all unpicked rows are at distance 0 the lowest
    /// unpicked row is next): see <see cref="SamplingKernels.FarthestPointSample"/>. One launch for the whole walk: on CUDA
    /// the grid walk of <see cref="GridSamplingKernels.FarthestPointSample"/> over every multiprocessor (shape
    /// <see cref="GridShape"/>), elsewhere one group; 0..rows−1 when count ≥ rows. Returns the picks in order (synchronizes).
    /// </summary>
    public int[] FarthestPointSample(ArrayView<float> points, int rows, int p, int count) =>
        FarthestPointSample(points, rows, p, count, GridShape(rows, p), GridSpinLimit);

    /// <summary>
    /// As <see cref="FarthestPointSample(ArrayView{float}, int, int, int)"/> with the grid walk's shape and poll limit given:
    /// groups = 0 runs the one-group walk; otherwise the grid walk of that many groups of groupSize threads (all must be
    /// resident at once), and when one of its barriers gives up, a warning (<see cref="Trace"/>) and the one-group walk.
    /// </summary>
    internal int[] FarthestPointSample(ArrayView<float> points, int rows, int p, int count, (int Groups, int GroupSize) shape, int spinLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, SamplingKernels.MaxDims);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckLength(points.Length, (long)rows * p, nameof(points));
        if (count >= rows)
            return Enumerable.Range(0, rows).ToArray();
        if (count == 0)
            return [];
        if (shape.Groups > 0)
        {
            if (GridWalk(points, rows, p, count, shape, spinLimit) is { } picks)
                return picks;
            Trace.TraceWarning($"{_acc.Name}: the farthest-point grid walk ({shape.Groups} groups of {shape.GroupSize}) stalled at a barrier " +
                "(groups not all resident?); running the one-group walk instead.");
        }
        return GroupWalk(points, rows, p, count);
    }

    /// <summary>
    /// The grid walk's shape on this accelerator: on CUDA, groups of up to 32 warps, as many as are resident at once by
    /// the occupancy estimate (every multiprocessor busy) but no more than one per group-size of rows; (0, 0) — the
    /// one-group walk — elsewhere (ILGPU's CPU accelerator need not run groups concurrently) or when rows·p ≥ 2³¹.
    /// </summary>
    internal (int Groups, int GroupSize) GridShape(int rows, int p)
    {
        if (_acc.AcceleratorType != AcceleratorType.Cuda || (long)rows * p > int.MaxValue)
            return (0, 0);
        int groupSize = Warps(SamplingKernels.MaxWarps) * _acc.WarpSize;
        int resident = _acc.NumMultiprocessors * _acc.EstimateMaxActiveGroupsPerMultiprocessor(_kernels.GridFarthestPointSample.GetKernel(), groupSize, 0);
        return (Math.Min(resident, (rows + groupSize - 1) / groupSize), groupSize);
    }

    /// <summary>The grid walk (needs 1 ≤ count &lt; rows, rows·p &lt; 2³¹); null when a barrier gave up.</summary>
    private int[]? GridWalk(ArrayView<float> points, int rows, int p, int count, (int Groups, int GroupSize) shape, int spinLimit)
    {
        var floats = _resources.Scratch<float>(ScratchSlot.Chunk, rows + (long)rows * p);
        var (minDist, columns) = (floats.SubView(0, rows), floats.SubView(rows, (long)rows * p));
        var ints = _resources.Scratch<int>(ScratchSlot.Indices, count + 2L);
        var (picks, sync) = (ints.SubView(0, count), ints.SubView(count, 2));
        var slots = _resources.Scratch<ulong>(ScratchSlot.WalkSlots, count);
        slots.MemSetToZero();
        sync.MemSetToZero();
        _kernels.Transpose(rows * p, points.SubView(0, (long)rows * p), columns, rows, p);
        _kernels.GridFarthestPointSample(new KernelConfig(shape.Groups, shape.GroupSize), columns, minDist, picks, slots, sync, rows, p, count, spinLimit);
        var flags = new int[2];
        sync.CopyToCPU(flags);
        if (flags[GridSamplingKernels.Error] != 0)
            return null;
        var result = new int[count];
        picks.CopyToCPU(result);
        return result;
    }

    /// <summary>The one-group walk of <see cref="SamplingKernels.FarthestPointSample"/> (needs 1 ≤ count &lt; rows).</summary>
    private int[] GroupWalk(ArrayView<float> points, int rows, int p, int count)
    {
        var minDist = _resources.Scratch<float>(ScratchSlot.Chunk, rows);
        var picks = _resources.Scratch<int>(ScratchSlot.Indices, count);
        int ws = _acc.WarpSize;
        int group = Math.Min(Warps(SamplingKernels.MaxWarps), (rows + ws - 1) / ws) * ws;
        _kernels.FarthestPointSample(new KernelConfig(1, group), points, minDist, picks, rows, p, count);
        var result = new int[count];
        picks.CopyToCPU(result);
        return result;
    }
}
