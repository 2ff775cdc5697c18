// AffinityBenchmarks: RBF affinity W (n×n) from X (n×768), device-resident and with transfers.
using BenchmarkDotNet.Attributes;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

[MemoryDiagnoser(false)]
public class AffinityBenchmarks
{
    private ComputeDevice _device = null!;
    private float[] _x = null!;
    private DeviceMatrix<float> _xm = null!, _w = null!;
    private float[] _host = null!;

    public static IEnumerable<DeviceKind> Kinds => BenchData.Devices();

    [ParamsSource(nameof(Kinds))]
    public DeviceKind Device { get; set; }

    [Params(2048, 10240)]
    public int N { get; set; }

    public const int D = 768;

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Create(Device);
        _x = BenchData.Uniform(N, D);
        _xm = DeviceMatrix<float>.Upload(_device, _x, N, D);
        _w = DeviceMatrix<float>.Allocate(_device, N, N);
        _host = new float[(long)N * N];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _w.Dispose();
        _xm.Dispose();
        _device.Dispose();
    }

    /// <summary>X already on the device, W stays there.</summary>
    [Benchmark]
    public void DeviceOnly()
    {
        _device.Backend.Affinity(_xm.All, _w, AffinityKind.Rbf, 1 / (2.0 * 128 * 128));
        _device.Backend.Synchronize();
    }

    /// <summary>Upload X, compute W, download W.</summary>
    [Benchmark]
    public void WithTransfer()
    {
        using var xm = DeviceMatrix<float>.Upload(_device, _x, N, D);
        _device.Backend.Affinity(xm.All, _w, AffinityKind.Rbf, 1 / (2.0 * 128 * 128));
        _w.Download(_host);
    }
}
