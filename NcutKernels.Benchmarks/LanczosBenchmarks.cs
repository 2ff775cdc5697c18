// LanczosBenchmarks: top-20 eigenpairs (residual 1e-5) of a device-resident normalized affinity of a 20-cluster mixture.
using BenchmarkDotNet.Attributes;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Solvers;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public class LanczosBenchmarks
{
    private ComputeDevice _device = null!;
    private DeviceMatrix<float> _m = null!;

    public static IEnumerable<DeviceKind> Kinds => BenchData.Devices();

    [ParamsSource(nameof(Kinds))]
    public DeviceKind Device { get; set; }

    [Params(2048, 10240)]
    public int N { get; set; }

    /// <summary>True: σ = 8 (20 separated clusters); false: σ by the degree quantile (nearly complete graph).</summary>
    [Params(false, true)]
    public bool Clustered { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Create(Device);
        _m = Prepare(_device, N, out _, Clustered ? 8 : null);
    }

    /// <summary>
    /// M = D^-1/2 W D^-1/2 + 1e-8·I of <see cref="BenchData.Mixture"/> (n×64, 20 clusters), σ by the 0.25
    /// degree quantile (the peer's benchmark matrix) or the given σ (σ = 8 keeps the 20 clusters apart).
    /// </summary>
    public static DeviceMatrix<float> Prepare(ComputeDevice device, int n, out double sigma, double? fixedSigma = null)
    {
        var x = BenchData.Mixture(n, 64);
        sigma = fixedSigma ?? SigmaSelection.ByDegreeQuantile<float>(x, n, 64, AffinityKind.Rbf, 0.25, 0);
        using var xm = DeviceMatrix<float>.Upload(device, x, n, 64);
        var m = DeviceMatrix<float>.Allocate(device, n, n);
        using var deg = DeviceMatrix<float>.Allocate(device, 1, n);
        device.Backend.Affinity(xm.All, m, AffinityKind.Rbf, 1 / (2 * sigma * sigma));
        device.Backend.RowSums(m, deg.All);
        device.Backend.Normalize(m, deg.All, 1e-8);
        device.Backend.Synchronize();
        return m;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _m.Dispose();
        _device.Dispose();
    }

    [Benchmark]
    public LanczosReport Top20() => BlockLanczos<float>.Solve(_device, _m, 20, 1e-5, 0, 1000).report;
}
