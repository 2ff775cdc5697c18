// NystromBenchmarks: NystromNcut.FitTransform end to end (sampling, σ, landmark Ncut, propagation) on 10⁴ and 10⁵ × 768 mixtures, k = 20 (and k = 100 device-resident), per propagation — host arrays in/out and device-resident.
using BenchmarkDotNet.Attributes;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public class NystromBenchmarks
{
    private ComputeDevice _device = null!;
    private float[] _x = null!;
    private DeviceMatrix<float> _resident = null!;

    public static IEnumerable<DeviceKind> Kinds => BenchData.Devices();

    [ParamsSource(nameof(Kinds))]
    public DeviceKind Device { get; set; }

    /// <summary>Both above ncut_pytorch's 8192-point threshold: m = min(10240, n/4) landmarks.</summary>
    [Params(10_000, 100_000)]
    public int N { get; set; }

    /// <summary>The default (classic extension, n·m·d) and ncut_pytorch's nearest-anchor propagation (n·1024·d).</summary>
    [Params(NystromPropagation.Classic, NystromPropagation.NcutPytorch)]
    public NystromPropagation Propagation { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Create(Device);
        _x = BenchData.Mixture(N, 768);
        _resident = DeviceMatrix<float>.Upload(_device, _x, N, 768);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _resident.Dispose();
        _device.Dispose();
    }

    [Benchmark]
    public float[,] Mixture768_K20()
    {
        using var nystrom = new NystromNcut(_device, new NcutOptions { EigenvectorCount = 20 }, new NystromOptions { Propagation = Propagation });
        return nystrom.FitTransform<float>(_x, N, 768);
    }

    /// <summary>The same on features already on the device (uploaded once in the setup), output left there: the upload excluded.</summary>
    [Benchmark]
    public void Mixture768_K20_DeviceResident() => DeviceResident(20);

    /// <summary>As <see cref="Mixture768_K20_DeviceResident"/> with k = 100 (the k = 100 GPU target, at 10⁵).</summary>
    [Benchmark]
    public void Mixture768_K100_DeviceResident() => DeviceResident(100);

    private void DeviceResident(int k)
    {
        using var nystrom = new NystromNcut(_device, new NcutOptions { EigenvectorCount = k }, new NystromOptions { Propagation = Propagation });
        using var u = nystrom.FitTransform(_resident);
    }
}
