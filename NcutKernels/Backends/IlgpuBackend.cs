// IlgpuBackend: launches the ILGPU kernels (CUDA, or ILGPU's CPU accelerator in tests); kernels are loaded once and cached.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Kernels;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Backends;

/// <summary>ILGPU storage: one dense device buffer.</summary>
internal sealed class IlgpuStorage<T>(Accelerator accelerator, long length) : DeviceStorage<T>(length) where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer = accelerator.Allocate1D<T>(length);

    public ArrayView<T> View => (_buffer ?? throw new ObjectDisposedException(nameof(IlgpuStorage<T>))).View;

    public override void Upload(ReadOnlySpan<T> source, long offset) =>
        View.SubView(offset, source.Length).CopyFromCPU(source);

    public override void Download(Span<T> destination, long offset) =>
        View.SubView(offset, destination.Length).CopyToCPU(destination);

    public override void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}

/// <summary>
/// <see cref="Backend"/> on an ILGPU accelerator. The kernels are float32 (the production path);
/// float64 matrices can be stored and moved but computing on them needs the managed CPU backend.
/// </summary>
internal sealed class IlgpuBackend(Accelerator accelerator) : Backend
{
    private readonly Accelerator _acc = accelerator;

    private Action<Index1D, ArrayView<float>, ArrayView<float>, int, int>? _colMeans;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _subtractMeans;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int>? _rowSq;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>? _normRows;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>? _affinity;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>? _rowSums;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, float>? _invSqrt;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, float>? _normalize;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>? _productPartial;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, int>? _reduceSlices;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int>? _inner;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>? _combine;

    // Grow-only scratch buffers: a cudaMalloc per call would cost more than the small kernels themselves.
    private MemoryBuffer1D<float, Stride1D.Dense>? _partials, _coefficients;
    private MemoryBuffer1D<double, Stride1D.Dense>? _dots;

    private ArrayView<TS> Scratch<TS>(ref MemoryBuffer1D<TS, Stride1D.Dense>? buffer, long length) where TS : unmanaged
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = _acc.Allocate1D<TS>(length);
        }
        return buffer.View.SubView(0, length);
    }

    public override DeviceStorage<T> Allocate<T>(long length)
    {
        try
        {
            var s = new IlgpuStorage<T>(_acc, length);
            s.View.MemSetToZero();
            return s;
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            long bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            throw new InsufficientMemoryException(
                $"{_acc.Name}: could not allocate {bytes / 1048576.0:F1} MiB ({length} × {typeof(T).Name}); device memory {_acc.MemorySize / 1048576.0:F0} MiB. ({e.Message})", e);
        }
    }

    private static ArrayView<float> F<T>(Block<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        Float(b.Matrix).SubView(b.Offset, b.Length);

    private static ArrayView<float> Float<T>(DeviceMatrix<T> m) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float))
            throw new NotSupportedException($"The ILGPU kernels compute in float32; {typeof(T).Name} matrices need DeviceKind.Cpu.");
        return ((IlgpuStorage<float>)(object)m.Storage).View;
    }

    private static void CheckSquare<T>(DeviceMatrix<T> w, int n, string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (w.Rows != n || w.Cols != n)
            throw new ArgumentException($"{name} must be {n}×{n}, got {w.Rows}×{w.Cols}.", name);
    }

    public override void Affinity<T>(Block<T> x, DeviceMatrix<T> w, AffinityKind kind, double scale)
    {
        int n = x.Rows, d = x.Cols;
        CheckSquare(w, n, nameof(w));
        var xv = F(x);
        using var sq = _acc.Allocate1D<float>(n);
        using var prepared = _acc.Allocate1D<float>((long)n * d);
        if (kind == AffinityKind.Rbf)
        {
            // Distances do not change under translation; centring keeps ‖x‖² + ‖y‖² − 2x·y from cancelling.
            using var mean = _acc.Allocate1D<float>(d);
            _colMeans ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(AffinityKernels.ColumnMeans);
            _subtractMeans ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(AffinityKernels.SubtractMeans);
            _colMeans(d, xv, mean.View, n, d);
            _subtractMeans(new Index2D(d, n), xv, mean.View, prepared.View, d);
            _acc.Synchronize();
        }
        _rowSq ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(AffinityKernels.RowSquaredNorms);
        _rowSq(n, kind == AffinityKind.Rbf ? prepared.View : xv, sq.View, d);
        if (kind == AffinityKind.Cosine)
        {
            _normRows ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(AffinityKernels.NormalizeRows);
            _normRows(new Index2D(d, n), xv, sq.View, prepared.View, d, (float)AffinityMath.CosineNormFloor);
        }
        xv = prepared.View;
        _affinity ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>(AffinityKernels.AffinityTile);
        int g = (n + AffinityKernels.TileEdge - 1) / AffinityKernels.TileEdge;
        _affinity(new KernelConfig(new Index2D(g, g), new Index2D(AffinityKernels.ThreadsPerEdge, AffinityKernels.ThreadsPerEdge)),
            xv, sq.View, Float(w), n, d, kind == AffinityKind.Rbf ? AffinityKernels.KindRbf : AffinityKernels.KindCosine,
            (float)scale, (float)AffinityMath.CosineFloor);
        _acc.Synchronize();
    }

    public override void RowSums<T>(DeviceMatrix<T> w, Block<T> sums)
    {
        int n = w.Cols;
        _rowSums ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(NormalizeKernels.RowSumsWarp);
        int ws = _acc.WarpSize, group = Math.Min(256, _acc.MaxNumThreadsPerGroup / ws * ws), perGroup = group / ws;
        _rowSums(new KernelConfig((n + perGroup - 1) / perGroup, group), Float(w), F(sums), n);
    }

    public override void Normalize<T>(DeviceMatrix<T> w, Block<T> degrees, double shift)
    {
        int n = w.Cols;
        using var s = _acc.Allocate1D<float>(n);
        _invSqrt ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(NormalizeKernels.InvSqrt);
        _normalize ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int, float>(NormalizeKernels.Normalize);
        _invSqrt(n, F(degrees), s.View, (float)AffinityMath.DegreeFloor);
        // A launch covers at most int.MaxValue threads: split very large matrices into row bands.
        int band = Math.Max(1, int.MaxValue / n);
        for (int row0 = 0; row0 < n; row0 += band)
            _normalize(new Index2D(n, Math.Min(band, n - row0)), Float(w), s.View, n, row0, (float)shift);
        _acc.Synchronize();
    }

    public override void SymmetricProduct<T>(DeviceMatrix<T> m, Block<T> v, Block<T> y)
    {
        int n = m.Cols, b = v.Rows;
        CheckSameCols(v, y, nameof(SymmetricProduct));
        int colGroups = (n + BlasKernels.ColumnsPerGroup - 1) / BlasKernels.ColumnsPerGroup;
        int wanted = Math.Max(1, 4 * _acc.NumMultiprocessors / colGroups);
        int steps = (n + BlasKernels.StepRows - 1) / BlasKernels.StepRows;
        int sliceLen = (steps + Math.Min(wanted, steps) - 1) / Math.Min(wanted, steps) * BlasKernels.StepRows;
        int slices = (n + sliceLen - 1) / sliceLen;
        var part = Scratch(ref _partials, (long)slices * BlasKernels.Panel * n);
        _productPartial ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(BlasKernels.SymmetricProductPartial);
        _reduceSlices ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int, int>(BlasKernels.ReduceSlices);
        var mv = Float(m);
        var vv = F(v);
        var yv = F(y);
        for (int c0 = 0; c0 < b; c0 += BlasKernels.Panel)
        {
            int cols = Math.Min(BlasKernels.Panel, b - c0);
            _productPartial(new KernelConfig(new Index2D(colGroups, slices), new Index2D(BlasKernels.ProductGroup, 1)), mv, vv, part, n, b, c0, sliceLen);
            _reduceSlices(new Index2D(n, cols), part, yv, n, c0, slices);
        }
        _acc.Synchronize();
    }

    public override double[,] InnerProducts<T>(Block<T> a, Block<T> b)
    {
        CheckSameCols(a, b, nameof(InnerProducts));
        int p = a.Rows, q = b.Rows, n = a.Cols;
        var g = Scratch(ref _dots, (long)p * q);
        _inner ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int>(BlasKernels.InnerProducts);
        _inner(new KernelConfig(new Index2D(q, p), new Index2D(BlasKernels.DotGroup, 1)), F(a), F(b), g, n, q);
        var flat = new double[p * q];
        g.CopyToCPU(flat);
        var result = new double[p, q];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    public override void Combine<T>(Block<T> dst, double beta, Block<T> a, double[,] s)
    {
        CheckSameCols(dst, a, nameof(Combine));
        int p = a.Rows, q = dst.Rows, n = dst.Cols;
        CheckCoefficients(s, p, q);
        var coef = new float[p * q];
        for (int r = 0; r < p; r++)
            for (int c = 0; c < q; c++)
                coef[r * q + c] = (float)s[r, c];
        var cb = Scratch(ref _coefficients, coef.Length);
        cb.CopyFromCPU(coef);
        _combine ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>(BlasKernels.Combine);
        _combine(new Index2D(n, q), F(dst), F(a), cb, n, p, q, (float)beta);
        _acc.Synchronize();
    }

    public override void Copy<T>(Block<T> src, Block<T> dst)
    {
        CheckSameCols(src, dst, nameof(Copy));
        F(src).CopyTo(F(dst));
    }

    public override void Synchronize() => _acc.Synchronize();

    public override void Dispose()
    {
        _partials?.Dispose();
        _coefficients?.Dispose();
        _dots?.Dispose();
        _acc.Dispose();
    }
}
