// DirectDifferenceTwinTests: the direct-difference affinity tile and feature gradient (ILGPU CPU accelerator) against their managed twins and the float64 definition.
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Kernels;

/// <summary>
/// Inputs where the Gram expansion cancels (<see cref="AffinityMath.UsesDirectDifferences"/>, asserted as a premise): RBF rows in
/// tight groups 1000 apart with σ = 0.3, cosine with σ = 0.005. Both backends must then give the float64 definition to float32
/// rounding, which the Gram expansion cannot (‖x‖²·ε ≈ 0.06 against σ² = 0.09).
/// </summary>
[TestFixture]
public class DirectDifferenceTwinTests : CpuAndIlgpuFixture
{
    /// <summary>n rows of d: groups (i mod 3) at −1000, 0, 1000 on column 0, ±0.2 uniform noise, every fifth row a copy of the one before.</summary>
    private static float[] FarRows(int n, int d, int seed)
    {
        var noise = TestData.UniformFloats(n * d, seed, -0.2, 0.2);
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
                x[i * d + c] = i % 5 == 4 ? x[(i - 1) * d + c] : (c == 0 ? (i % 3 - 1) * 1000f : 0f) + noise[i * d + c];
        return x;
    }

    private static double[,] Matrix(float[] x, int n, int d)
    {
        var m = new double[n, d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
                m[i, c] = x[i * d + c];
        return m;
    }

    private static float[] Affinity(ComputeDevice device, float[] x, int n, int d, AffinityKind kind, double sigma)
    {
        using var xm = DeviceMatrix<float>.Upload(device, x, n, d);
        using var w = DeviceMatrix<float>.Allocate(device, n, n);
        device.Backend.Affinity(xm.All, w, kind, 1 / (2 * sigma * sigma));
        var result = new float[n * n];
        w.Download(result);
        return result;
    }

    /// <summary>The largest squared norm of the centred rows (the RBF rule's input).</summary>
    private static double MaxCentredSquaredNorm(double[,] x)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var mean = new double[d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
                mean[c] += x[i, c] / n;
        double max = 0;
        for (int i = 0; i < n; i++)
            max = Math.Max(max, Enumerable.Range(0, d).Sum(c => (x[i, c] - mean[c]) * (x[i, c] - mean[c])));
        return max;
    }

    // n = 37, d = 11: ragged tiles; n = 130: two tiles per edge (mirrored off-diagonal tiles).
    [TestCase(AffinityKind.Rbf, 37, 11, 0.3)]
    [TestCase(AffinityKind.Rbf, 130, 9, 0.3)]
    [TestCase(AffinityKind.Cosine, 37, 11, 0.005)]
    [TestCase(AffinityKind.Cosine, 130, 9, 0.005)]
    public void DirectAffinity_MatchesTheManagedTwinAndTheDefinition(AffinityKind kind, int n, int d, double sigma)
    {
        var x = FarRows(n, d, 3);
        var xd = Matrix(x, n, d);
        double scale = 1 / (2 * sigma * sigma);
        Assert.That(AffinityMath.UsesDirectDifferences(kind, MaxCentredSquaredNorm(xd), scale), Is.True, "premise: the direct path");
        var expected = TestData.Affinity(xd, kind == AffinityKind.Cosine, sigma);
        var managed = Affinity(Cpu, x, n, d, kind, sigma);
        var kernel = Affinity(Ilgpu, x, n, d, kind, sigma);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double e = expected[i, j];
                // Differences of float32 rows round the exponent by a few ε relative: measured ≤ 5e-7 relative on both backends.
                Assert.That(managed[i * n + j], Is.EqualTo(e).Within(1e-7 + 4e-6 * e), $"managed W[{i},{j}]");
                Assert.That(kernel[i * n + j], Is.EqualTo(managed[i * n + j]).Within(1e-7 + 4e-6 * e), $"kernel W[{i},{j}]");
            }
        // Duplicate rows sit at distance 0: W = exp(0) = 1 (+ the cosine floor), to the exp's own rounding (Vector.Exp: an ulp);
        // the Gram expansion would leave exp(−0.06/0.18) ≈ 0.7 there.
        double one = kind == AffinityKind.Rbf ? 1 : 1 + AffinityMath.CosineFloor;
        for (int i = 4; i < n; i += 5)
        {
            Assert.That(managed[i * n + i - 1], Is.EqualTo(one).Within(3e-7), $"managed duplicate {i}");
            Assert.That(kernel[i * n + i - 1], Is.EqualTo(one).Within(3e-7), $"kernel duplicate {i}");
        }
    }

    [TestCase(60, 7, 3)]
    [TestCase(130, 9, 3)]
    public void DirectFeatureGradient_MatchesTheManagedFloat64Twin(int n, int d, int k)
    {
        const double sigma = 0.3;
        var x = FarRows(n, d, 8);
        Assert.That(AffinityMath.UsesDirectDifferences(AffinityKind.Rbf, MaxCentredSquaredNorm(Matrix(x, n, d)), 1 / (2 * sigma * sigma)), Is.True,
            "premise: the direct path");
        var (actual, expected) = EmbeddingBackwardTwin.Run(Ilgpu, AffinityKind.Rbf, x, n, d, k, sigma);
        double scale = expected.Max(Math.Abs);
        Assert.That(scale, Is.GreaterThan(0), "premise: a non-zero gradient");
        // float32 S and sums of S_ij·(x_i − x_j) over the near rows only: measured max error 2e-7 of max |X̄|.
        for (int e = 0; e < expected.Length; e++)
            Assert.That(actual[e] - 1, Is.EqualTo(expected[e]).Within(2e-6 * scale), $"X̄[{e / d},{e % d}]");
    }
}
