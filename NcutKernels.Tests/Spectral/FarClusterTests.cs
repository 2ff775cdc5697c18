// FarClusterTests: float32 clusters far apart relative to σ (tight blobs at 0 and ±1000, σ = 1) match the float64 definition, forward and gradient, on both backends.
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;
using NcutKernels.Autodiff;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

/// <summary>
/// Centring the whole matrix leaves the outer clusters at ‖x‖² ≈ 10⁶, where the float32 Gram expansion rounds every squared
/// distance by about 0.1 — as much as σ² = 1 and the clusters' own spread. The affinity must take those distances from the
/// differences instead. References: MathNet float64 on the float32-rounded features (the same input the float32 path sees).
/// </summary>
[TestFixture]
public class FarClusterTests : CpuAndIlgpuFixture
{
    private const double Sigma = 1;

    /// <summary>n points in three blobs (spread 0.1 in 3-d) centred at −1000, 0 and +1000 on the first axis, rounded to float32.</summary>
    private static double[,] FarBlobs(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new double[n, 3];
        for (int i = 0; i < n; i++)
        {
            x[i, 0] = (i % 3 - 1) * 1000 + 0.1 * TestData.Gaussian(rng);
            x[i, 1] = 0.1 * TestData.Gaussian(rng);
            x[i, 2] = 0.1 * TestData.Gaussian(rng);
        }
        return TestData.ToDouble(TestData.ToFloat(x));
    }

    [TestCase(DeviceKind.Cpu, 300)]
    [TestCase(DeviceKind.IlgpuCpu, 130)]
    public void Float32_FarClusters_MatchTheFloat64Definition(DeviceKind kind, int n)
    {
        const int k = 6;
        var x = FarBlobs(n, 3);
        var ncut = new Ncut(kind == DeviceKind.Cpu ? Cpu : Ilgpu, new NcutOptions { EigenvectorCount = k, Sigma = Sigma });
        var u = TestData.Matrix(ncut.FitTransform(TestData.ToFloat(x)));
        Assert.That(ncut.Report!.Dense, Is.False, "must exercise Lanczos");
        var (values, vectors) = EmbeddingChecks.Reference(x, AffinityKind.Rbf, Sigma, k + 1);
        // The three clusters do not see each other (exp(−10⁶/2) = 0): λ = 1 three times, then the clusters' own λ ≈ 0.012.
        for (int j = 0; j < k; j++)
        {
            TestContext.Out.WriteLine($"λ{j}: {ncut.Eigenvalues[j]:R} reference {values[j]:R}");
            // float32 M (relative rounding 6e-8 per entry) and the solver's 1e-5 residual: measured |Δλ| ≤ 8e-8.
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(values[j]).Within(1e-5), $"λ{j}");
        }
        double sin = EmbeddingChecks.SeparatedSubspaceSin(vectors, u, values, 1e-3, out int m);
        Assert.That(m, Is.EqualTo(3), "premise: λ1..3 = 1 stand apart");
        Assert.That(sin, Is.LessThan(1e-3), "the clusters' subspace");
        // All six: λ6 − λ7 is 2.3e-4 (n = 300) and 5.2e-4 (n = 130), so Davis–Kahan allows residual/gap ≈ 0.04 (measured 8e-4, 5e-6).
        double gap = values[k - 1] - values[k];
        Assert.That(TestData.SubspaceSin(vectors.SubMatrix(0, n, 0, k), u.SubMatrix(0, n, 0, k)), Is.LessThan(1e-5 / gap), "first six vectors");
    }

    [Test]
    public void Float32_FarClusters_GradientMatchesTheFloat64Gradient()
    {
        // The fused RBF backward ends in Σ_j S_ij·(x_i − x_j); as rowsum·x_i − (S·X)_i it would cancel at |x| = 1000. The loss
        // Σ_i w_i·‖u_i‖² over the three λ = 1 vectors sees only their span (the clusters' √degree vectors), which the gap to
        // λ4 ≈ 0.012 defines well.
        const int n = 90, k = 3;
        var x = FarBlobs(n, 5);
        var rowWeights = TestData.Weights(n, 1, 2);
        var weights = new double[n, k];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < k; c++)
                weights[i, c] = rowWeights[i, 0];
        double[,] Gradient<T>(T[,] input) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = k, Sigma = Sigma });
            using var tape = new Tape<T>(Cpu);
            var xv = tape.Input(input);
            var (u, _) = ncut.FitTransform(xv);
            tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(TestData.Convert<T>(weights)))));
            return TestData.ToDouble(xv.Gradient);
        }
        var expected = Gradient(x);
        var actual = Gradient(TestData.ToFloat(x));
        double scale = expected.Cast<double>().Max(Math.Abs);
        Assert.That(scale, Is.GreaterThan(0), "premise: a non-zero gradient");
        // float32 affinity and eigenvectors against float64 ones: measured max error 9e-8 of max |X̄|.
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                Assert.That(actual[i, c], Is.EqualTo(expected[i, c]).Within(1e-5 * scale), $"X̄[{i},{c}]");
    }
}
