// IlgpuBackendRows: the row-wise and Nyström primitives on an ILGPU accelerator — sampling, propagation, the classic extension's values and finish, gathers, column sums and scales, the scans for non-finite values and the largest |x|.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Kernels;
using NcutKernels.Runtime;

namespace NcutKernels.Backends.Ilgpu;

internal sealed partial class IlgpuBackend
{
    private IlgpuNystrom? _nystrom;

    private IlgpuNystrom Nystrom => _nystrom ??= new IlgpuNystrom(_resources, _gridRows);

    /// <summary>One launch for the whole walk (<see cref="SamplingKernels.FarthestPointSample"/>); distances in float32.</summary>
    protected override int[] FarthestPointSampleCore<T>(Block<T> points, int count)
    {
        CheckSampleCount(count);
        if (points.Cols <= SamplingKernels.MaxDims)
            return Nystrom.FarthestPointSample(F(points), points.Rows, points.Cols, count);
        var y = Array.ConvertAll(Host(points), v => double.CreateTruncating(v));
        return FarthestPointWalk.Walk(y, points.Rows, points.Cols, count);
    }

    /// <summary>One fused RBF-weighted product over every anchor after the distance tile (<see cref="SkinnyProduct"/>).</summary>
    protected override void RbfWeightedMeansCore<T>(Block<T> x, Block<T> anchors, Block<T> values, double sigma, Block<T> output,
        DistancePrecision precision) =>
        Nystrom.PropagateAll(F(x), x.Rows, x.Cols, F(anchors), anchors.Rows, F(values), values.Cols,
            Enumerable.Repeat(1f, anchors.Rows).ToArray(), (float)sigma, F(output), precision: precision);

    /// <summary>
    /// Nearest-anchor propagation as kernels: the distance tile, then for K = every anchor with degrees given the fused
    /// RBF-weighted product of <see cref="RbfWeightedMeansCore{T}"/> with those degrees; for K ≤ <see cref="PropagationKernels.MaxNeighbours"/> a warp per
    /// row selecting the K nearest and summing. Other cases (K between 128 and a, or all anchors without degrees) run the
    /// managed code on the host.
    /// </summary>
    protected override void PropagateNearestCore<T>(Block<T> x, Block<T> anchors, Block<T> values, double[]? anchorDegrees, double sigma, int neighbours,
        Block<T> output, DistancePrecision precision)
    {
        CheckPropagation(x, anchors, values, anchorDegrees, sigma, neighbours, output);
        if (neighbours == anchors.Rows && anchorDegrees is not null)
        {
            Nystrom.PropagateAll(F(x), x.Rows, x.Cols, F(anchors), anchors.Rows, F(values), values.Cols,
                Array.ConvertAll(anchorDegrees, v => (float)v), (float)sigma, F(output), precision: precision);
            return;
        }
        if (neighbours <= PropagationKernels.MaxNeighbours)
        {
            Nystrom.PropagateNearest(F(x), x.Rows, x.Cols, F(anchors), anchors.Rows, F(values), values.Cols,
                anchorDegrees is null ? null : Array.ConvertAll(anchorDegrees, v => (float)v), (float)sigma, neighbours, F(output), precision: precision);
            return;
        }
        var result = new T[output.Length];
        NearestPropagation.Run(Host(x), 0, x.Rows, Host(anchors), 0, anchors.Rows, x.Cols, Host(values), 0, values.Cols, anchorDegrees, sigma,
            neighbours, result, 0);
        output.Matrix.Storage.Upload(result, output.Offset);
    }


    protected override void FinishClassicCore<T>(Block<T> sums, double count, Block<T> output)
    {
        CheckFinishClassic(sums, count, output);
        if ((long)output.Rows * output.Cols > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(output), $"FinishClassic: {output.Rows}×{output.Cols} outputs exceed one launch's {int.MaxValue} threads; pass fewer rows.");
        _kernels.FinishClassic(output.Rows * output.Cols, F(sums), F(output), output.Cols, (float)count, (float)AffinityMath.WeightFloor);
    }

    /// <summary>
    /// <see cref="PropagationKernels.ClassicValues"/> over s·(k+1) threads. The per-row and per-column arguments travel in one
    /// temporary float64 buffer, uploaded in one copy: rowScale (s), columnSign (k), columnDivisor (k), then the row indices
    /// as int32 pairs. The buffer is freed on return, so the launch is waited for first (as in <see cref="Backend.GatherRows{T}"/>).
    /// </summary>
    protected override void ClassicValuesCore<T>(Block<T> vectors, int[] rows, double[] rowScale, double[] columnSign, double[] columnDivisor, Block<T> values)
    {
        CheckClassicValues(vectors, rows, rowScale, columnSign, columnDivisor, values);
        int k = vectors.Rows, s = rows.Length;
        if ((long)s * (k + 1) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(rows), $"ClassicValues: {s}×{k + 1} values exceed one launch's {int.MaxValue} threads; pass fewer rows.");
        if (s == 0)
            return;
        var (vv, ov) = (F(vectors), F(values));
        long indexAt = s + 2L * k, length = indexAt + (s + 1) / 2;
        var staged = new double[length];
        rowScale.CopyTo(staged, 0);
        columnSign.CopyTo(staged, s);
        columnDivisor.CopyTo(staged, s + k);
        rows.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<double, int>(staged.AsSpan((int)indexAt)));
        using var args = _resources.Allocate<double>(length);
        ArrayView<double> all = args.View;
        all.CopyFromCPU(staged);
        _kernels.ClassicValues(s * (k + 1), vv, all.SubView(indexAt, length - indexAt).Cast<int>().SubView(0, s), all.SubView(0, s),
            all.SubView(s, k), all.SubView(s + k, k), ov, vectors.Cols, k);
        _acc.Synchronize();
    }

    protected override void GatherRowsCore<T>(Block<T> x, int[] rows, Block<T> dst)
    {
        CheckGather(x, rows, dst);
        if (rows.Length == 0)
            return;
        using var indices = _acc.Allocate1D(rows);
        foreach (var (extent, row0) in RowBands.Of(x.Cols, rows.Length, _gridRows))
            _kernels.GatherRows(extent, F(x), indices.View, F(dst), x.Cols, row0);
        _acc.Synchronize();
    }

    /// <summary><see cref="AffinityKernels.ColumnMeans"/> (float64 sums in a fixed order, stored as float32 means) × rows.</summary>
    protected override double[] ColumnSumsCore<T>(Block<T> x)
    {
        int rows = x.Rows, cols = x.Cols;
        if (rows == 0)
            return new double[cols];
        using var means = _acc.Allocate1D<float>(cols);
        _kernels.ColumnMeans(new KernelConfig((cols + AffinityKernels.MeanColumns - 1) / AffinityKernels.MeanColumns, AffinityKernels.MeanGroup), F(x), means.View, rows, cols);
        var host = new float[cols];
        means.View.CopyToCPU(host);
        return host.Select(v => (double)v * rows).ToArray();
    }

    protected override void ScaleColumnsCore<T>(Block<T> x, double[] factors)
    {
        if (x.Rows == 0)
            return;
        using var f = _acc.Allocate1D(factors.Select(v => (float)v).ToArray());
        foreach (var (extent, row0) in RowBands.Of(x.Cols, x.Rows, _gridRows))
            _kernels.ScaleColumns(extent, F(x), f.View, x.Cols, row0);
        _acc.Synchronize();
    }

    protected override double MaxAbsCore<T>(Block<T> x)
    {
        using var best = _acc.Allocate1D(new[] { 0 });
        int group = Math.Min(256, _acc.MaxNumThreadsPerGroup);
        long groups = Math.Clamp((x.Length + group - 1) / group, 1, _acc.AcceleratorType == AcceleratorType.CPU ? 4 : 8 * Math.Max(1, _acc.NumMultiprocessors));
        _kernels.MaxAbs(new KernelConfig((int)groups, group), F(x), best.View, x.Length);
        var result = new int[1];
        best.View.CopyToCPU(result);
        return BitConverter.Int32BitsToSingle(result[0]);
    }

    protected override long FirstNonFiniteCore<T>(Block<T> x)
    {
        using var found = _acc.Allocate1D(new[] { long.MaxValue });
        int group = Math.Min(256, _acc.MaxNumThreadsPerGroup);
        long groups = Math.Clamp((x.Length + group - 1) / group, 1, _acc.AcceleratorType == AcceleratorType.CPU ? 4 : 8 * Math.Max(1, _acc.NumMultiprocessors));
        _kernels.FirstNonFinite(new KernelConfig((int)groups, group), F(x), found.View, x.Length);
        var result = new long[1];
        found.View.CopyToCPU(result);
        return result[0] == long.MaxValue ? -1 : result[0];
    }
}
