// IlgpuBackendRows: the row-wise and Nyström primitives on an ILGPU accelerator — sampling, propagation, the classic extension's values and finish, gathers, column sums and scales, the scans for non-finite values and the largest |x|.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Kernels;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Backends;

internal sealed partial class IlgpuBackend
{
    private IlgpuNystrom? _nystrom;

    private IlgpuNystrom Nystrom => _nystrom ??= new IlgpuNystrom(_acc, _gridRows);

    /// <summary>One launch for the whole walk (<see cref="SamplingKernels.FarthestPointSample"/>); distances in float32.</summary>
    protected override int[] FarthestPointSampleCore<T>(Block<T> points, int count)
    {
        CheckSampleCount(count);
        if (points.Cols <= SamplingKernels.MaxDims)
            return Nystrom.FarthestPointSample(F(points), points.Rows, points.Cols, count);
        var y = Array.ConvertAll(Host(points), v => double.CreateTruncating(v));
        return FarthestPointSampling.Walk(y, points.Rows, points.Cols, count);
    }

    /// <summary>
    /// Nearest-anchor propagation as kernels: the distance tile, then for K = every anchor with degrees given (the classic
    /// extension) one fused RBF-weighted product (<see cref="SkinnyProduct"/>); for K ≤ <see cref="PropagationKernels.MaxNeighbours"/> a warp per
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

    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, float, float>? _finishClassic;
    private Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<float>, int, int>? _classicValues;
    private Action<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>? _gatherRows;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, int, int>? _scaleColumns;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, long>? _maxAbs;
    private Action<KernelConfig, ArrayView<float>, ArrayView<long>, long>? _firstNonFinite;

    protected override void FinishClassicCore<T>(Block<T> sums, double count, Block<T> output)
    {
        CheckFinishClassic(sums, count, output);
        if ((long)output.Rows * output.Cols > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(output), $"FinishClassic: {output.Rows}×{output.Cols} outputs exceed one launch's {int.MaxValue} threads; pass fewer rows.");
        _finishClassic ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, float, float>(PropagationKernels.FinishClassic);
        _finishClassic(output.Rows * output.Cols, F(sums), F(output), output.Cols, (float)count, (float)NearestPropagation.WeightFloor);
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
        using var args = DeviceBuffer<double>(length);
        ArrayView<double> all = args.View;
        all.CopyFromCPU(staged);
        _classicValues ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<float>, int, int>(PropagationKernels.ClassicValues);
        _classicValues(s * (k + 1), vv, all.SubView(indexAt, length - indexAt).Cast<int>().SubView(0, s), all.SubView(0, s),
            all.SubView(s, k), all.SubView(s + k, k), ov, vectors.Cols, k);
        _acc.Synchronize();
    }

    protected override void GatherRowsCore<T>(Block<T> x, int[] rows, Block<T> dst)
    {
        CheckGather(x, rows, dst);
        if (rows.Length == 0)
            return;
        _gatherRows ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int>(RowKernels.GatherRows);
        using var indices = _acc.Allocate1D(rows);
        foreach (var (extent, row0) in RowBands.Of(x.Cols, rows.Length, _gridRows))
            _gatherRows(extent, F(x), indices.View, F(dst), x.Cols, row0);
        _acc.Synchronize();
    }

    /// <summary><see cref="AffinityKernels.ColumnMeans"/> (float64 sums in a fixed order, stored as float32 means) × rows.</summary>
    protected override double[] ColumnSumsCore<T>(Block<T> x)
    {
        int rows = x.Rows, cols = x.Cols;
        if (rows == 0)
            return new double[cols];
        _colMeans ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(AffinityKernels.ColumnMeans);
        using var means = _acc.Allocate1D<float>(cols);
        _colMeans(new KernelConfig((cols + AffinityKernels.MeanColumns - 1) / AffinityKernels.MeanColumns, AffinityKernels.MeanGroup), F(x), means.View, rows, cols);
        var host = new float[cols];
        means.View.CopyToCPU(host);
        return host.Select(v => (double)v * rows).ToArray();
    }

    protected override void ScaleColumnsCore<T>(Block<T> x, double[] factors)
    {
        if (x.Rows == 0)
            return;
        _scaleColumns ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int>(RowKernels.ScaleColumns);
        using var f = _acc.Allocate1D(factors.Select(v => (float)v).ToArray());
        foreach (var (extent, row0) in RowBands.Of(x.Cols, x.Rows, _gridRows))
            _scaleColumns(extent, F(x), f.View, x.Cols, row0);
        _acc.Synchronize();
    }

    protected override double MaxAbsCore<T>(Block<T> x)
    {
        _maxAbs ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<int>, long>(RowKernels.MaxAbs);
        using var best = _acc.Allocate1D(new[] { 0 });
        int group = Math.Min(256, _acc.MaxNumThreadsPerGroup);
        long groups = Math.Clamp((x.Length + group - 1) / group, 1, _acc.AcceleratorType == AcceleratorType.CPU ? 4 : 8 * Math.Max(1, _acc.NumMultiprocessors));
        _maxAbs(new KernelConfig((int)groups, group), F(x), best.View, x.Length);
        var result = new int[1];
        best.View.CopyToCPU(result);
        return BitConverter.Int32BitsToSingle(result[0]);
    }

    protected override long FirstNonFiniteCore<T>(Block<T> x)
    {
        _firstNonFinite ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<long>, long>(RowKernels.FirstNonFinite);
        using var found = _acc.Allocate1D(new[] { long.MaxValue });
        int group = Math.Min(256, _acc.MaxNumThreadsPerGroup);
        long groups = Math.Clamp((x.Length + group - 1) / group, 1, _acc.AcceleratorType == AcceleratorType.CPU ? 4 : 8 * Math.Max(1, _acc.NumMultiprocessors));
        _firstNonFinite(new KernelConfig((int)groups, group), F(x), found.View, x.Length);
        var result = new long[1];
        found.View.CopyToCPU(result);
        return result[0] == long.MaxValue ? -1 : result[0];
    }
}
