// IlgpuBackend: launches the ILGPU kernels (CUDA, or ILGPU's CPU accelerator in tests); kernels are loaded once and cached.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Kernels;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Backends;

/// <summary>ILGPU storage: one dense device buffer of <paramref name="owner"/>'s accelerator; copies and freeing enter the owner (its lock, bound to the calling thread).</summary>
internal sealed class IlgpuStorage<T>(IlgpuBackend owner, Accelerator accelerator, long length) : DeviceStorage<T>(length) where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer = accelerator.Allocate1D<T>(length);

    public ArrayView<T> View => (_buffer ?? throw new ObjectDisposedException(nameof(IlgpuStorage<T>))).View;

    public override void Upload(ReadOnlySpan<T> source, long offset)
    {
        using var entry = owner.Enter();
        View.SubView(offset, source.Length).CopyFromCPU(source);
    }

    public override void Download(Span<T> destination, long offset)
    {
        using var entry = owner.Enter();
        View.SubView(offset, destination.Length).CopyToCPU(destination);
    }

    public override void Dispose()
    {
        owner.Release(_buffer);
        _buffer = null;
    }
}

/// <summary>
/// <see cref="Backend"/> on an ILGPU accelerator. The kernels are float32 (the production path);
/// float64 matrices can be stored and moved but computing on them needs the managed CPU backend.
/// The row-wise kernels over (columns, rows) launch in bands of at most <paramref name="gridRows"/> rows
/// (<see cref="RowBands"/>; tests lower it to run several bands at tiny sizes). The accelerator, its kernel cache and the
/// grow-only scratch (here, in <see cref="IlgpuNystrom"/> and <see cref="IlgpuSigma"/>) are shared by every call, so calls are
/// serialized (<see cref="Backend.Enter"/>) and each binds the accelerator (for CUDA, its context) to the calling thread.
/// </summary>
internal sealed class IlgpuBackend(Accelerator accelerator, int gridRows = RowBands.MaxGridRows) : Backend(serialized: true)
{
    private readonly Accelerator _acc = accelerator;
    private readonly int _gridRows = gridRows;

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int>? _colMeans;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _subtractMeans;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, int>? _rowSq;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>? _normRows;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>? _affinity;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>? _rowSums;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, float>? _invSqrt;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, float>? _normalize;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>? _productPartial;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, int, int, int>? _reduceSlices;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, int>? _inner;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>? _combine;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>? _product;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _scaledTranspose;
    private Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _degreeAdjoint;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? _adjointTile;
    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float>? _accumulate;

    // Grow-only scratch buffers: a cudaMalloc per call would cost more than the small kernels themselves.
    private MemoryBuffer1D<float, Stride1D.Dense>? _partials, _coefficients, _embedding, _features;
    private MemoryBuffer1D<double, Stride1D.Dense>? _dots;

    private ArrayView<TS> Scratch<TS>(ref MemoryBuffer1D<TS, Stride1D.Dense>? buffer, long length) where TS : unmanaged
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = null; // a failed allocation below must not leave the freed buffer in place
            buffer = DeviceBuffer<TS>(length);
        }
        return buffer.View.SubView(0, length);
    }

    protected override DeviceStorage<T> AllocateCore<T>(long length)
    {
        var s = Guarded<T, IlgpuStorage<T>>(length, () => new IlgpuStorage<T>(this, _acc, length));
        s.View.MemSetToZero();
        return s;
    }

    /// <summary>A device buffer the caller disposes (contents undefined).</summary>
    private MemoryBuffer1D<TS, Stride1D.Dense> DeviceBuffer<TS>(long length) where TS : unmanaged =>
        Guarded<TS, MemoryBuffer1D<TS, Stride1D.Dense>>(length, () => _acc.Allocate1D<TS>(length));

    /// <summary>Runs an allocation of <paramref name="length"/> elements of TS; a failure says how much was asked for.</summary>
    private TR Guarded<TS, TR>(long length, Func<TR> allocate) where TS : unmanaged
    {
        try
        {
            return allocate();
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            long bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<TS>();
            throw new InsufficientMemoryException(
                $"{_acc.Name}: could not allocate {bytes / 1048576.0:F1} MiB ({length} × {typeof(TS).Name}); device memory {_acc.MemorySize / 1048576.0:F0} MiB. ({e.Message})", e);
        }
    }

    /// <summary>The kernels' code for an affinity kind (<see cref="KernelAffinity"/>).</summary>
    internal static int KernelCode(AffinityKind kind) => kind == AffinityKind.Rbf ? KernelAffinity.Rbf : KernelAffinity.Cosine;

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

    protected override void AffinityCore<T>(Block<T> x, DeviceMatrix<T> w, AffinityKind kind, double scale)
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
            CenterColumns(xv, mean.View, prepared.View, n, d);
            _acc.Synchronize();
        }
        _rowSq ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(AffinityKernels.RowSquaredNorms);
        _rowSq(n, kind == AffinityKind.Rbf ? prepared.View : xv, sq.View, d);
        bool direct = AffinityMath.UsesDirectDifferences(kind, kind == AffinityKind.Rbf ? MaxOf(sq.View) : 0, scale);
        if (kind == AffinityKind.Cosine)
        {
            _normRows ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(AffinityKernels.NormalizeRows);
            foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
                _normRows(extent, xv, sq.View, prepared.View, d, row0, (float)AffinityMath.CosineNormFloor);
        }
        // Direct RBF differences need no centring and keep the resolution of the features as given.
        if (kind == AffinityKind.Cosine || !direct)
            xv = prepared.View;
        int g = (n + TileGeometry.Edge - 1) / TileGeometry.Edge;
        var config = new KernelConfig(new Index2D(g, g), new Index2D(TileGeometry.Threads, TileGeometry.Threads));
        int kindCode = KernelCode(kind);
        if (direct)
        {
            _distanceAffinity ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float>(
                AffinityKernels.DistanceAffinityTile);
            _distanceAffinity(config, xv, sq.View, Float(w), n, d, kindCode, (float)scale, (float)AffinityMath.CosineFloor,
                (float)(AffinityMath.CosineNormFloor * AffinityMath.CosineNormFloor));
        }
        else
        {
            _affinity ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>(AffinityKernels.AffinityTile);
            _affinity(config, xv, sq.View, Float(w), n, d, kindCode, (float)scale, (float)AffinityMath.CosineFloor);
        }
        _acc.Synchronize();
    }

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float, float>? _distanceAffinity;

    /// <summary>The largest element of a device vector (copied to the host: n floats, beside the n² work that follows).</summary>
    private static double MaxOf(ArrayView<float> v)
    {
        var host = new float[v.Length];
        v.CopyToCPU(host);
        return host.Length == 0 ? 0 : host.Max();
    }

    /// <summary>xc = x − column means of x (n×d); mean (d) is scratch.</summary>
    private void CenterColumns(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> xc, int n, int d)
    {
        _colMeans ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(AffinityKernels.ColumnMeans);
        _subtractMeans ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(AffinityKernels.SubtractMeans);
        _colMeans(new KernelConfig((d + AffinityKernels.MeanColumns - 1) / AffinityKernels.MeanColumns, AffinityKernels.MeanGroup), x, mean, n, d);
        foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
            _subtractMeans(extent, x, mean, xc, d, row0);
    }

    protected override void RowSumsCore<T>(DeviceMatrix<T> w, Block<T> sums) => RowSums(Float(w), F(sums), w.Cols);

    /// <summary>sums[i] = Σ_j w[i, j] for w (n×n).</summary>
    private void RowSums(ArrayView<float> w, ArrayView<float> sums, int n)
    {
        _rowSums ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(NormalizeKernels.RowSumsWarp);
        int ws = _acc.WarpSize, group = Math.Min(256, _acc.MaxNumThreadsPerGroup / ws * ws), perGroup = group / ws;
        _rowSums(new KernelConfig((n + perGroup - 1) / perGroup, group), w, sums, n);
    }

    protected override void NormalizeCore<T>(DeviceMatrix<T> w, Block<T> degrees, double shift)
    {
        int n = w.Cols;
        using var s = _acc.Allocate1D<float>(n);
        _invSqrt ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(NormalizeKernels.InvSqrt);
        _normalize ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int, float>(NormalizeKernels.Normalize);
        _invSqrt(n, F(degrees), s.View, (float)AffinityMath.DegreeFloor);
        foreach (var (extent, row0) in RowBands.Of(n, n, _gridRows))
            _normalize(extent, Float(w), s.View, n, row0, (float)shift);
        _acc.Synchronize();
    }

    protected override void SymmetricProductCore<T>(DeviceMatrix<T> m, Block<T> v, Block<T> y)
    {
        CheckSameCols(v, y, nameof(SymmetricProduct));
        SymmetricProduct(Float(m), F(v), F(y), m.Cols, v.Rows);
        _acc.Synchronize();
    }

    /// <summary>y (b×n) = (m·vᵀ)ᵀ for symmetric m (n×n) and v (b×n), queued (no synchronization).</summary>
    private void SymmetricProduct(ArrayView<float> mv, ArrayView<float> vv, ArrayView<float> yv, int n, int b)
    {
        int colGroups = (n + BlasKernels.ColumnsPerGroup - 1) / BlasKernels.ColumnsPerGroup;
        int wanted = Math.Max(1, 4 * _acc.NumMultiprocessors / colGroups);
        int steps = (n + BlasKernels.StepRows - 1) / BlasKernels.StepRows;
        int sliceLen = (steps + Math.Min(wanted, steps) - 1) / Math.Min(wanted, steps) * BlasKernels.StepRows;
        int slices = (n + sliceLen - 1) / sliceLen;
        var part = Scratch(ref _partials, (long)slices * BlasKernels.Panel * n);
        _productPartial ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(BlasKernels.SymmetricProductPartial);
        _reduceSlices ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int, int>(BlasKernels.ReduceSlices);
        for (int c0 = 0; c0 < b; c0 += BlasKernels.Panel)
        {
            int cols = Math.Min(BlasKernels.Panel, b - c0);
            _productPartial(new KernelConfig(new Index2D(colGroups, slices), new Index2D(BlasKernels.ProductGroup, 1)), mv, vv, part, n, b, c0, sliceLen);
            _reduceSlices(new Index2D(n, cols), part, yv, n, c0, slices);
        }
    }

    protected override double[,] InnerProductsCore<T>(Block<T> a, Block<T> b)
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

    protected override void CombineCore<T>(Block<T> dst, double beta, Block<T> a, double[,] s)
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

    /// <summary>
    /// Pass 1 on the device (the block product Z = W·(s∘B) and <see cref="NcutBackwardKernels.DegreeAdjoint"/>), pass 2 as
    /// the S tile kernel, row sums, the K-split product S·X and the accumulate kernel; the result is downloaded once and
    /// added to gx. Device memory: S (n², freed on return), and in grow-only scratch kept for the next call 2 + slices n×d
    /// planes and O(n·k) vectors (with host staging arrays of the same sizes).
    /// </summary>
    protected override void AccumulateRbfEmbeddingGradientCore<T>(Block<T> x, DeviceMatrix<T> w, double[] degrees, double[] y, double[] u, double sigma, double[] gx)
    {
        int k = CheckEmbeddingGradient(x, w, degrees, y, u, gx);
        int n = x.Rows, d = x.Cols, width = 2 * k;
        var xv = F(x);
        var wv = Float(w);
        // Host: the factors of M̄ = A·Bᵀ (rows a_i = ½[y_i, u_i], b_i = [u_i, y_i]), s = d^-1/2 and −d^(−3/2) (0 where the
        // degree was clamped), as float32, rows in parallel.
        long nw = (long)n * width;
        var staged = Staging(ref _stagedHost, 2 * nw + 2 * n);
        Parallel.For(0, (n + HostRows - 1) / HostRows, ch =>
        {
            for (int i = ch * HostRows, end = Math.Min(n, i + HostRows); i < end; i++)
            {
                for (int c = 0; c < k; c++)
                {
                    double yc = y[i * k + c], uc = u[i * k + c];
                    staged[i * width + c] = (float)(0.5 * yc);
                    staged[i * width + k + c] = (float)(0.5 * uc);
                    staged[nw + i * width + c] = (float)uc;
                    staged[nw + i * width + k + c] = (float)yc;
                }
                double di = degrees[i];
                staged[2 * nw + i] = (float)(1 / Math.Sqrt(Math.Max(di, AffinityMath.DegreeFloor)));
                staged[2 * nw + n + i] = di > AffinityMath.DegreeFloor ? (float)-Math.Pow(di, -1.5) : 0f;
            }
        });
        // One small scratch: the staged a, b, s, −d^(−3/2), then s∘Bᵀ and Z (width×n each), d̄, the row sums of S, the column means of X.
        long o = 2 * nw + 2L * n; // the staged part (the host array may be longer: it only grows)
        var all = Scratch(ref _embedding, o + 2 * nw + 2L * n + d);
        all.SubView(0, o).CopyFromCPU(staged.AsSpan(0, (int)o));
        var (av, bv, sv, dScale) = (all.SubView(0, nw), all.SubView(nw, nw), all.SubView(2 * nw, n), all.SubView(2 * nw + n, n));
        var (sb, z) = (all.SubView(o, nw), all.SubView(o + nw, nw));
        var (dBar, rowSums, mean) = (all.SubView(o + 2 * nw, n), all.SubView(o + 2 * nw + n, n), all.SubView(o + 2 * nw + 2 * n, d));

        // Pass 1: z = W·(s∘B) (width vectors), d̄_i = −d_i^(−3/2)·a_i·z_i.
        _scaledTranspose ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(NcutBackwardKernels.ScaledTranspose);
        _degreeAdjoint ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(NcutBackwardKernels.DegreeAdjoint);
        _scaledTranspose(new Index2D(n, width), bv, sv, sb, n, width);
        SymmetricProduct(wv, sb, z, n, width);
        _degreeAdjoint(n, av, z, dScale, dBar, n, width);

        // Pass 2: S in a scratch n×n, its row sums, S·X (X centred) split over K, then X̄ += … into a zeroed plane.
        using var sMat = DeviceBuffer<float>((long)n * n);
        _adjointTile ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(
            NcutBackwardKernels.AdjointAffinityTile);
        int tiles = (n + Tile8x8.Edge - 1) / Tile8x8.Edge, colTiles = (d + Tile8x8.Edge - 1) / Tile8x8.Edge;
        var group = new Index3D(Tile8x8.Threads, Tile8x8.Threads, 1);
        _adjointTile(new KernelConfig(new Index3D(tiles, tiles, 1), group), av, bv, sv, dBar, wv, sMat.View, n, width);
        float inv = (float)(1 / (sigma * sigma));
        var result = Staging(ref _resultHost, (long)n * d);
        if (DirectFeatureGradient(xv, mean, n, d, sigma))
        {
            // X far from itself relative to σ: the differences x_i − x_j, as the managed twin (RbfFeatureRows) takes them.
            var gd = Scratch(ref _features, (long)n * d);
            gd.MemSetToZero();
            _accumulateDirect ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>(
                NcutBackwardKernels.AccumulateFeatureGradientDirect);
            foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
                _accumulateDirect(extent, xv, sMat.View, gd, n, d, row0, inv);
            gd.CopyToCPU(result.AsSpan(0, n * d));
            AddInto(gx, result, n, d);
            return;
        }
        RowSums(sMat.View, rowSums, n);

        // Enough K-slices to give every multiprocessor about four groups.
        int steps = (n + Tile8x8.Depth - 1) / Tile8x8.Depth;
        int slices = Math.Clamp(4 * _acc.NumMultiprocessors / (tiles * colTiles), 1, steps);
        int sliceLen = (steps + slices - 1) / slices * Tile8x8.Depth;
        slices = (n + sliceLen - 1) / sliceLen;
        long plane = (long)n * d;
        var features = Scratch(ref _features, (2 + slices) * plane);
        var xc = features.SubView(0, plane);
        var g = features.SubView(plane, plane);
        var part = features.SubView(2 * plane, slices * plane);
        CenterColumns(xv, mean, xc, n, d);
        _product ??= _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(BlasKernels.ProductPartial);
        _product(new KernelConfig(new Index3D(colTiles, tiles, slices), group), sMat.View, xc, part, n, n, d, sliceLen);
        g.MemSetToZero();
        _accumulate ??= _acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, float>(
            NcutBackwardKernels.AccumulateFeatureGradient);
        foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
            _accumulate(extent, xc, rowSums, part, g, n, d, slices, row0, inv);
        g.CopyToCPU(result.AsSpan(0, (int)plane));
        AddInto(gx, result, n, d);
    }

    private Action<Index2D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>? _accumulateDirect;

    /// <summary>
    /// Whether the feature gradient takes direct differences: the forward's rule (<see cref="AffinityMath.UsesDirectDifferences"/>)
    /// on the squared norms of x centred by <paramref name="mean"/> (computed into the <see cref="_features"/> scratch).
    /// </summary>
    private bool DirectFeatureGradient(ArrayView<float> x, ArrayView<float> mean, int n, int d, double sigma)
    {
        var xc = Scratch(ref _features, (long)n * d + n);
        CenterColumns(x, mean, xc.SubView(0, (long)n * d), n, d);
        _rowSq ??= _acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(AffinityKernels.RowSquaredNorms);
        _rowSq(n, xc.SubView(0, (long)n * d), xc.SubView((long)n * d, n), d);
        return AffinityMath.UsesDirectDifferences(AffinityKind.Rbf, MaxOf(xc.SubView((long)n * d, n)), 1 / (2 * sigma * sigma));
    }

    /// <summary>gx[e] += result[e] over the n·d plane, row chunks in parallel.</summary>
    private static void AddInto(double[] gx, float[] result, int n, int d)
    {
        long plane = (long)n * d;
        Parallel.For(0, (n + HostRows - 1) / HostRows, ch =>
        {
            for (long e = (long)ch * HostRows * d, end = Math.Min(plane, e + (long)HostRows * d); e < end; e++)
                gx[e] += result[e];
        });
    }

    /// <summary>Rows per parallel chunk of the host staging loops.</summary>
    private const int HostRows = 512;

    // Grow-only host staging of the fused backward (float32 factors up, X̄ down): fresh arrays of this size would be
    // large-object allocations, zero-filled and page-faulted on every call.
    private float[]? _stagedHost, _resultHost;

    /// <summary>A host array of at least <paramref name="length"/> elements, kept for the next call (contents undefined).</summary>
    private static float[] Staging(ref float[]? array, long length)
    {
        if (array is null || array.LongLength < length)
            array = GC.AllocateUninitializedArray<float>(checked((int)length));
        return array;
    }

    private IlgpuNystrom? _nystrom;
    private IlgpuNystrom Nystrom => _nystrom ??= new IlgpuNystrom(_acc, _gridRows);

    private IlgpuSigma? _sigma;

    /// <summary>The σ rule's pair terms of xs (m×d, float64) on this accelerator (<see cref="IlgpuSigma"/>).</summary>
    public IAffinityRowSums SigmaRowSums(double[] xs, int m, int d, AffinityKind kind)
    {
        using var entry = Enter();
        return (_sigma ??= new IlgpuSigma(this, _acc)).Pairs(xs, m, d, kind);
    }

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

    /// <summary>A block's elements copied to a new host array.</summary>
    private static T[] Host<T>(Block<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var host = new T[b.Length];
        b.Matrix.Storage.Download(host, b.Offset);
        return host;
    }

    protected override void CopyCore<T>(Block<T> src, Block<T> dst)
    {
        CheckSameCols(src, dst, nameof(Copy));
        F(src).CopyTo(F(dst));
    }

    protected override void SynchronizeCore() => _acc.Synchronize();

    protected override void Bind() => _acc.Bind();

    protected override void DisposeCore()
    {
        _nystrom?.Dispose();
        _partials?.Dispose();
        _coefficients?.Dispose();
        _embedding?.Dispose();
        _features?.Dispose();
        _dots?.Dispose();
        _acc.Dispose();
    }
}
