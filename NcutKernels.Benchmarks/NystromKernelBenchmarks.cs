// NystromKernelBenchmarks: the Nyström kernels on CUDA at the target sizes — farthest-point sampling 40960×8 and 10⁶×8 → 10240 (and 10240×100 → 1024), propagation of 10⁶×768 rows to K = 32 of 1024 anchors, and to all of 10240 landmarks (the classic extension; no cases without CUDA).
using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Runtime;

namespace NcutKernels.Benchmarks;

/// <summary>
/// Device-resident inputs; each call synchronizes (sampling downloads its picks). The kernels are driven through
/// <see cref="IlgpuNystrom"/> on an accelerator of their own. CUDA only: without it (or with NCUT_BENCH_DEVICES=cpu)
/// the suite has no cases.
/// </summary>
public class NystromKernelBenchmarks
{
    public static IEnumerable<DeviceKind> Kinds => BenchData.Devices().Where(kind => kind == DeviceKind.Cuda);

    [ParamsSource(nameof(Kinds))]
    public DeviceKind Device { get; set; }

    public const int Candidates = 40960, CandidateDims = 8, Samples = 10240, MillionPoints = 1_000_000;
    public const int AnchorRows = 10240, EigenDims = 100, Anchors = 1024;
    public const int Rows = 1_000_000, Dims = 768, Neighbours = 32, Columns = 20, Landmarks = 10240;

    private Context _context = null!;
    private Accelerator _acc = null!;
    private IlgpuResources _resources = null!;
    private IlgpuNystrom _nystrom = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> _candidates = null!, _million = null!, _eigen = null!, _x = null!, _anchors = null!, _values = null!, _output = null!, _weights = null!,
        _landmarks = null!, _landmarkValues = null!;
    private MemoryBuffer1D<int, Stride1D.Dense> _indices = null!;

    [GlobalSetup]
    public void Setup()
    {
        CudaLibraryResolver.Install();
        _context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        _acc = _context.GetCudaDevices()[0].CreateCudaAccelerator(_context);
        _nystrom = new IlgpuNystrom(_resources = new IlgpuResources(_acc));
        _candidates = _acc.Allocate1D(BenchData.Uniform(Candidates, CandidateDims, 1));
        _million = _acc.Allocate1D(BenchData.Uniform(MillionPoints, CandidateDims, 8));
        _eigen = _acc.Allocate1D(BenchData.Normal(AnchorRows, EigenDims, 2));
        _x = _acc.Allocate1D(BenchData.Uniform(Rows, Dims, 3));
        _anchors = _acc.Allocate1D(BenchData.Uniform(Anchors, Dims, 4));
        _values = _acc.Allocate1D(BenchData.Normal(Anchors, Columns, 5));
        _landmarks = _acc.Allocate1D(BenchData.Uniform(Landmarks, Dims, 6));
        _landmarkValues = _acc.Allocate1D(BenchData.Normal(Landmarks, Columns + 1, 7));
        _output = _acc.Allocate1D<float>((long)Rows * Columns);
        _indices = _acc.Allocate1D<int>((long)Rows * Neighbours);
        _weights = _acc.Allocate1D<float>((long)Rows * Neighbours);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var buffer in new MemoryBuffer[] { _candidates, _million, _eigen, _x, _anchors, _values, _output, _weights, _indices, _landmarks, _landmarkValues })
            buffer.Dispose();
        _resources.Dispose();
        _acc.Dispose();
        _context.Dispose();
    }

    /// <summary>The Nyström sample: 10240 of 40960 evenly spaced candidates in 8 projected dimensions (ncut_pytorch: 272 ms of 627 ms at 10⁶ points).</summary>
    [Benchmark]
    public int[] SampleCandidates() => _nystrom.FarthestPointSample(_candidates.View, Candidates, CandidateDims, Samples);

    /// <summary>10240 of 10⁶ points in 8 dimensions: every point a candidate (target ≤ 60 ms; ncut_pytorch about 290 ms).</summary>
    [Benchmark]
    public int[] SampleMillion() => _nystrom.FarthestPointSample(_million.View, MillionPoints, CandidateDims, Samples);

    /// <summary>Anchors for propagation: 1024 of 10240 rows in a 100-dimensional eigenvector space.</summary>
    [Benchmark]
    public int[] SampleAnchors() => _nystrom.FarthestPointSample(_eigen.View, AnchorRows, EigenDims, Anchors);

    /// <summary>10⁶×768 rows to their 32 nearest of 1024 anchors, 20 columns, weights normalized by their sum (target ≪ 50 ms).</summary>
    [Benchmark]
    public void Propagate() =>
        _nystrom.PropagateNearest(_x.View, Rows, Dims, _anchors.View, Anchors, _values.View, Columns, null, 8f, Neighbours, _output.View);

    /// <summary>The same, also writing the neighbour indices and weights (10⁶×32 each) for a backward pass.</summary>
    [Benchmark]
    public void PropagateWithNeighbours() =>
        _nystrom.PropagateNearest(_x.View, Rows, Dims, _anchors.View, Anchors, _values.View, Columns, null, 8f, Neighbours, _output.View, _indices.View, _weights.View);

    /// <summary>The classic extension's call: every one of 10240 landmarks, k + 1 = 21 value columns, unit degrees; writes into the neighbour-weights buffer (Rows × 32 ≥ Rows × 21 floats).</summary>
    [Benchmark]
    public void PropagateAllLandmarks() =>
        _nystrom.PropagateAll(_x.View, Rows, Dims, _landmarks.View, Landmarks, _landmarkValues.View, Columns + 1, UnitDegrees, 8f, _weights.View);

    private static readonly float[] UnitDegrees = Enumerable.Repeat(1f, Landmarks).ToArray();
}
