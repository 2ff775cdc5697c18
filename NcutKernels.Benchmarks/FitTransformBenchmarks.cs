// FitTransformBenchmarks: Ncut.FitTransform end to end from a host array (σ search, upload, affinity, normalize, eigen, download).
using BenchmarkDotNet.Attributes;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public class FitTransformBenchmarks
{
    private ComputeDevice _device = null!;
    private float[] _x = null!;

    public static IEnumerable<DeviceKind> Kinds => BenchData.Devices();

    [ParamsSource(nameof(Kinds))]
    public DeviceKind Device { get; set; }

    /// <summary>3000×768 uniform, k = 10: the scikit-learn comparison case.</summary>
    [Params(3000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Create(Device);
        _x = BenchData.Uniform(N, 768);
    }

    [GlobalCleanup]
    public void Cleanup() => _device.Dispose();

    [Benchmark]
    public float[,] Uniform768_K10() => new Ncut(_device, new NcutOptions { EigenvectorCount = 10 }).FitTransform<float>(_x, N, 768);
}
