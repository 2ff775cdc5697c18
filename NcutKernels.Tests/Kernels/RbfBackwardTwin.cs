// RbfBackwardTwin: the fused RBF feature gradient on a device against its float64 definition (NcutBackward.AccumulateRbf on the direct float64 affinity).
using NcutKernels.Runtime;

namespace NcutKernels.Tests.Kernels;

/// <summary>
/// One run of <c>Backend.AccumulateRbfEmbeddingGradient</c> on x (n×d float32) with seeded U (n×k, N(0, 1/n)) and Ȳ (n×k,
/// N(0, 1)) drawn from System.Random(9), against the managed float64 twin on the direct float64 W = exp(−‖xᵢ − xⱼ‖²/2σ²)
/// and its row sums. The device accumulates into ones, so <c>actual[e] − 1</c> is its X̄[e].
/// </summary>
internal static class RbfBackwardTwin
{
    public static (double[] actual, double[] expected) Run(ComputeDevice device, float[] x, int n, int d, int k, double sigma)
    {
        var xd = x.Select(v => (double)v).ToArray();
        var w = new double[n * n];
        var degrees = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double d2 = 0;
                for (int c = 0; c < d; c++)
                    d2 += (xd[i * d + c] - xd[j * d + c]) * (xd[i * d + c] - xd[j * d + c]);
                w[i * n + j] = Math.Exp(-d2 / (2 * sigma * sigma));
                degrees[i] += w[i * n + j];
            }
        var rng = new System.Random(9);
        var u = Enumerable.Range(0, n * k).Select(_ => TestData.Gaussian(rng) / Math.Sqrt(n)).ToArray();
        var y = Enumerable.Range(0, n * k).Select(_ => TestData.Gaussian(rng)).ToArray();
        var expected = new double[n * d];
        NcutKernels.Backends.Managed.NcutBackward.AccumulateRbf(xd, w, degrees, y, u, sigma, n, d, k, expected);
        var actual = Enumerable.Repeat(1.0, n * d).ToArray(); // the backend accumulates (+=)
        using (var xm = DeviceMatrix<float>.Upload(device, x, n, d))
        using (var wm = DeviceMatrix<float>.Upload(device, w.Select(v => (float)v).ToArray(), n, n))
            device.Backend.AccumulateRbfEmbeddingGradient(xm.All, wm, degrees, y, u, sigma, actual);
        return (actual, expected);
    }
}
