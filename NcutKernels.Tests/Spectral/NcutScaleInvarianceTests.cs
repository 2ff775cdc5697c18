// NcutScaleInvarianceTests: c·X (σ scaled with it) gives the embedding of X, from the subnormals to the edge of overflow, in float32 and float64.
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

/// <summary>
/// The RBF affinity depends on x/σ only and the cosine affinity not on the scale of x at all, so Ncut(c·X, c·σ) must be the
/// embedding of (X, σ) — here the float64 MathNet reference of X — for every c that keeps c·X finite. X is quantized to 1/64
/// (<see cref="EmbeddingChecks.Quantized"/>) so that power-of-two scalings into the subnormals are exact. n = 200 runs the
/// block Lanczos solver; the blobs' top four eigenvalues are separated from the rest (checked below), so the subspace is defined.
/// </summary>
[TestFixture]
public class NcutScaleInvarianceTests : CpuFixture
{
    private const int N = 200, K = 4;
    private const double Sigma = 2.5;
    private static readonly double[,] X = EmbeddingChecks.Quantized(TestData.Blobs(N, 5, 3, separation: 3, seed: 1));

    /// <summary>Asserts that (u, λ) is the reference embedding: eigenvalues within valueTol, separated subspace within sinTol.</summary>
    private static void AssertReference(Matrix<double> u, double[] lambda, AffinityKind kind, double sigma, double valueTol, double sinTol, string what)
    {
        var (values, vectors) = EmbeddingChecks.Reference(X, kind, sigma, K + 1);
        for (int j = 0; j < K; j++)
            Assert.That(lambda[j], Is.EqualTo(values[j]).Within(valueTol), $"{what}: λ{j}");
        double sin = EmbeddingChecks.SeparatedSubspaceSin(vectors, u, values, 1e-3, out int m);
        Assert.That(m, Is.EqualTo(K), $"{what}: premise — the reference's λ{K} stands apart from λ{K + 1}");
        Assert.That(sin, Is.LessThanOrEqualTo(sinTol), $"{what}: subspace sin θ");
    }

    /// <summary>u of <paramref name="ncut"/> fitted to x in float64, or to x rounded to float32.</summary>
    private static Matrix<double> Fit(Ncut ncut, double[,] x, bool float64) =>
        float64 ? TestData.Matrix(ncut.FitTransform(x)) : TestData.Matrix(ncut.FitTransform(TestData.ToFloat(x)));

    /// <summary>The σ rule's σ for X, then a fresh σ-rule Ncut fitted to c·X (same precision): what the σ-rule tests compare.</summary>
    private (double unscaledSigma, Ncut ncut, Matrix<double> u) SigmaRuleFits(double c, bool float64)
    {
        var unscaled = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K });
        if (float64)
            unscaled.FitTransform(X);
        else
            unscaled.FitTransform(TestData.ToFloat(X));
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K });
        return (unscaled.Sigma, ncut, Fit(ncut, EmbeddingChecks.Scaled(X, c), float64));
    }

    // float32: c·X is rounded to float32 once (relative 6e-8), the affinity and M are float32.
    [TestCase(1e19)]
    [TestCase(1e30)]
    [TestCase(2e37)]
    [TestCase(1e-20)]
    [TestCase(1e-30)]
    [TestCase(3e-36)]
    public void Float32_ScaledFeaturesAndSigma_GiveTheReferenceEmbedding(double c)
    {
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Sigma = c * Sigma });
        var u = TestData.Matrix(ncut.FitTransform(TestData.ToFloat(EmbeddingChecks.Scaled(X, c))));
        Assert.That(ncut.Report!.Dense, Is.False, "must exercise Lanczos");
        Assert.That(ncut.Sigma, Is.EqualTo(c * Sigma), "σ in the user's units");
        AssertReference(u, ncut.Eigenvalues, AffinityKind.Rbf, Sigma, 1e-5, 1e-3, $"c = {c}");
    }

    [TestCase(1e160)]
    [TestCase(1e300)]
    [TestCase(1e30)]
    [TestCase(1e-40)]
    [TestCase(1e-300)]
    public void Float64_ScaledFeaturesAndSigma_GiveTheReferenceEmbedding(double c)
    {
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Sigma = c * Sigma });
        var u = TestData.Matrix(ncut.FitTransform(EmbeddingChecks.Scaled(X, c)));
        Assert.That(ncut.Eigenvalues, Has.All.Matches<double>(double.IsFinite));
        AssertReference(u, ncut.Eigenvalues, AffinityKind.Rbf, Sigma, 1e-9, 1e-6, $"c = {c}");
    }

    // Powers of two into the subnormals (exact for the quantized X): float32 below 2^-126, float64 below 2^-1022.
    [TestCase(-140, false)]
    [TestCase(-130, false)]
    [TestCase(-1060, true)]
    [TestCase(-1030, true)]
    public void SubnormalFeatures_GiveTheReferenceEmbedding(int exponent, bool float64)
    {
        double c = Math.ScaleB(1.0, exponent);
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Sigma = c * Sigma });
        var u = Fit(ncut, EmbeddingChecks.Scaled(X, c), float64);
        Assert.That(ncut.Sigma, Is.EqualTo(c * Sigma));
        AssertReference(u, ncut.Eigenvalues, AffinityKind.Rbf, Sigma, float64 ? 1e-9 : 1e-5, float64 ? 1e-6 : 1e-3, $"2^{exponent}");
    }

    // The σ rule: σ(2^j·X) = 2^j·σ(X) exactly (it measures on rows scaled into max|x| ∈ [1, 2)), and the embedding is X's at σ(X).
    [TestCase(0, true)]
    [TestCase(300, true)]
    [TestCase(1000, true)]
    [TestCase(-500, true)]
    [TestCase(-1060, true)]
    [TestCase(100, false)]
    [TestCase(-60, false)]
    [TestCase(-140, false)]
    public void SigmaRule_ScalesWithTheFeatures(int exponent, bool float64)
    {
        double c = Math.ScaleB(1.0, exponent);
        var (unscaledSigma, ncut, u) = SigmaRuleFits(c, float64);
        Assert.That(ncut.Sigma, Is.EqualTo(c * unscaledSigma), "σ(2^j·X) = 2^j·σ(X)");
        AssertReference(u, ncut.Eigenvalues, AffinityKind.Rbf, unscaledSigma, float64 ? 1e-9 : 1e-5, float64 ? 1e-6 : 1e-3, $"2^{exponent}");
    }

    // Any factor, not only powers of two: the σ rule solves mean affinity = target to 1e-12, so σ(c·X) = c·σ(X) to rounding.
    [TestCase(3.7, true)]
    [TestCase(1e250, true)]
    [TestCase(7.3e-290, true)]
    [TestCase(0.3, false)]
    [TestCase(4.1e25, false)]
    [TestCase(6.7e-27, false)]
    public void SigmaRule_AnyFactor_GivesTheSameEmbedding(double c, bool float64)
    {
        var (unscaledSigma, ncut, u) = SigmaRuleFits(c, float64);
        // c·X rounds once (float64 1e-16, float32 6e-8 relative), and σ follows the rounded data: 1e-12 / 1e-6.
        Assert.That(ncut.Sigma, Is.EqualTo(c * unscaledSigma).Within((float64 ? 1e-12 : 1e-6) * c * unscaledSigma), "σ(c·X) = c·σ(X)");
        AssertReference(u, ncut.Eigenvalues, AffinityKind.Rbf, unscaledSigma, float64 ? 1e-9 : 1e-5, float64 ? 1e-6 : 1e-3, $"c = {c}");
    }

    // Cosine (default σ = 0.5, no unit): any scale.
    [TestCase(1e300, true)]
    [TestCase(1e-300, true)]
    [TestCase(3e-310, true)]
    [TestCase(1e30, false)]
    [TestCase(1e-30, false)]
    public void Cosine_AnyScale_GivesTheReferenceEmbedding(double c, bool float64)
    {
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Affinity = AffinityKind.Cosine });
        var u = Fit(ncut, EmbeddingChecks.Scaled(X, c), float64);
        Assert.That(ncut.Sigma, Is.EqualTo(NcutOptions.DefaultCosineSigma));
        // 3e-310 is subnormal: c·X keeps only ~40 bits there (relative rounding 1e-12, far inside the tolerance).
        AssertReference(u, ncut.Eigenvalues, AffinityKind.Cosine, NcutOptions.DefaultCosineSigma, float64 ? 1e-9 : 1e-5, float64 ? 1e-6 : 1e-3, $"c = {c}");
    }
}
