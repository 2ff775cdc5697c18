// EmbeddingBackwardTwin: the fused affinity (RBF or cosine) feature gradient on a device against its float64 definition (NcutBackward.Accumulate on the affinity computed directly in float64).
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Tests.Kernels;

/// <summary>
/// One run of <c>Backend.AccumulateEmbeddingGradient</c> on x (n×d float32) with seeded U (n×k, N(0, 1/n)) and Ȳ (n×k,
/// N(0, 1)) drawn from System.Random(9), against the managed float64 twin on the affinity computed directly in float64
/// (RBF: exp(−‖xᵢ − xⱼ‖²/2σ²); cosine: exp(−(1 − x̂ᵢ·x̂ⱼ)²/2σ²) + 1e-3) and its row sums. The device accumulates into ones,
/// so <c>actual[e] − 1</c> is its X̄[e].
/// </summary>
internal static class EmbeddingBackwardTwin
{
    public static (double[] actual, double[] expected) Run(ComputeDevice device, AffinityKind kind, float[] x, int n, int d, int k, double sigma)
    {
        var xd = x.Select(v => (double)v).ToArray();
        var w = Affinity(kind, xd, n, d, sigma);
        var degrees = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                degrees[i] += w[i * n + j];
        var rng = new System.Random(9);
        var u = Enumerable.Range(0, n * k).Select(_ => TestData.Gaussian(rng) / Math.Sqrt(n)).ToArray();
        var y = Enumerable.Range(0, n * k).Select(_ => TestData.Gaussian(rng)).ToArray();
        var expected = new double[n * d];
        NcutKernels.Backends.Managed.NcutBackward.Accumulate(kind, xd, w, degrees, y, u, sigma, n, d, k, expected);
        var actual = Enumerable.Repeat(1.0, n * d).ToArray(); // the backend accumulates (+=)
        using (var xm = DeviceMatrix<float>.Upload(device, x, n, d))
        using (var wm = DeviceMatrix<float>.Upload(device, w.Select(v => (float)v).ToArray(), n, n))
            device.Backend.AccumulateEmbeddingGradient(kind, xm.All, wm, degrees, y, u, sigma, actual);
        return (actual, expected);
    }

    /// <summary>The affinity of <paramref name="kind"/> of x (n×d) in float64, from its definition.</summary>
    private static double[] Affinity(AffinityKind kind, double[] x, int n, int d, double sigma)
    {
        var xh = (double[])x.Clone();
        if (kind == AffinityKind.Cosine)
            for (int i = 0; i < n; i++)
            {
                double norm = Math.Max(Math.Sqrt(Enumerable.Range(0, d).Sum(c => x[i * d + c] * x[i * d + c])), AffinityMath.CosineNormFloor);
                for (int c = 0; c < d; c++)
                    xh[i * d + c] = x[i * d + c] / norm;
            }
        var w = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0, d2 = 0;
                for (int c = 0; c < d; c++)
                {
                    dot += xh[i * d + c] * xh[j * d + c];
                    d2 += (xh[i * d + c] - xh[j * d + c]) * (xh[i * d + c] - xh[j * d + c]);
                }
                double t = 1 - dot;
                w[i * n + j] = kind == AffinityKind.Rbf ? Math.Exp(-d2 / (2 * sigma * sigma)) : Math.Exp(-t * t / (2 * sigma * sigma)) + AffinityMath.CosineFloor;
            }
        return w;
    }
}
