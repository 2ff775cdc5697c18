// AffinityTests: affinity and normalization on every backend against a direct float64 computation.
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class AffinityTests
{
    private static double[] Compute(DeviceKind kind, double[,] x, AffinityKind affinity, double sigma, bool useDouble, bool normalize)
    {
        using var device = ComputeDevice.Create(kind);
        int n = x.GetLength(0);
        return useDouble ? Run(device, x, affinity, sigma, normalize) : Run(device, TestData.ToFloat(x), affinity, sigma, normalize);
    }

    private static double[] Run<T>(ComputeDevice device, T[,] x, AffinityKind affinity, double sigma, bool normalize)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int n = x.GetLength(0);
        using var xm = DeviceMatrix<T>.Upload(device, x);
        using var w = DeviceMatrix<T>.Allocate(device, n, n);
        using var deg = DeviceMatrix<T>.Allocate(device, 1, n);
        device.Backend.Affinity(xm.All, w, affinity, 1 / (2 * sigma * sigma));
        if (normalize)
        {
            device.Backend.RowSums(w, deg.All);
            device.Backend.Normalize(w, deg.All, 0);
        }
        return w.Download().Cast<T>().Select(double.CreateChecked).ToArray();
    }

    [TestCase(DeviceKind.Cpu, AffinityKind.Rbf, true)]
    [TestCase(DeviceKind.Cpu, AffinityKind.Cosine, true)]
    [TestCase(DeviceKind.Cpu, AffinityKind.Rbf, false)]
    [TestCase(DeviceKind.Cpu, AffinityKind.Cosine, false)]
    [TestCase(DeviceKind.IlgpuCpu, AffinityKind.Rbf, false)]
    [TestCase(DeviceKind.IlgpuCpu, AffinityKind.Cosine, false)]
    public void AffinityAndNormalization_MatchDirectFloat64(DeviceKind kind, AffinityKind affinity, bool useDouble)
    {
        var x = TestData.Blobs(41, 7, 3, separation: 2, seed: 5);
        const double sigma = 1.5;
        var w = TestData.Affinity(x, affinity == AffinityKind.Cosine, sigma);
        // float64: rounding of the Gram expansion only; float32: ~10 ulps of ‖x‖²/(2σ²) ≈ 1e-5 absolute.
        double atol = useDouble ? 1e-12 : 1e-5, rtol = useDouble ? 1e-12 : 1e-5;
        Tolerances.AssertClose(Compute(kind, x, affinity, sigma, useDouble, false), w, atol, rtol);
        Tolerances.AssertClose(Compute(kind, x, affinity, sigma, useDouble, true), TestData.Normalize(w), atol / 10, rtol);
    }

    [TestCase(DeviceKind.Cpu)]
    [TestCase(DeviceKind.IlgpuCpu)]
    public void Rbf_Float32_SmallSigmaFarFromOrigin_StaysAccurate(DeviceKind kind)
    {
        // ‖x‖ ≈ 1000 while neighbours are ~0.3 apart: without centring, ‖x‖² + ‖y‖² − 2x·y loses every digit
        // in float32 (ulp(1e6) ≈ 0.06 against distances² ≈ 0.1).
        var x = TestData.Blobs(40, 4, 2, separation: 1, seed: 8, spread: 0.2);
        for (int i = 0; i < x.GetLength(0); i++)
            for (int k = 0; k < x.GetLength(1); k++)
                x[i, k] += 500;
        const double sigma = 0.3;
        var w = TestData.Affinity(x, false, sigma);
        // Centring leaves coordinates of size ~1 with float32 rounding of the inputs themselves (500 + δ
        // keeps ~3e-5 absolute): d² errors ~1e-4, i.e. W errors ≲ 1e-3 relative at σ = 0.3.
        Tolerances.AssertClose(Compute(kind, x, AffinityKind.Rbf, sigma, false, false), w, 1e-4, 2e-3);
    }
}
