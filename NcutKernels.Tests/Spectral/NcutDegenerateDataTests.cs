// NcutDegenerateDataTests: constant graphs, repeated points, zero columns and zero variance give an orthonormal basis and eigenvalues in [−1, 1].
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

/// <summary>
/// Graphs of rank one or two (every row the same point, or two points repeated) leave block Lanczos with directions that are
/// nothing but rounding; the result must still be an orthonormal basis whose eigenvalues are those of the float64 definition.
/// </summary>
[TestFixture]
public class NcutDegenerateDataTests : CpuFixture
{
    /// <summary>Rows alternate between the points a and b (b = a: all rows identical).</summary>
    private static double[,] TwoPoints(int n, double[] a, double[] b)
    {
        var x = new double[n, a.Length];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < a.Length; c++)
                x[i, c] = i % 2 == 0 ? a[c] : b[c];
        return x;
    }

    /// <summary>
    /// The spectrum of D^-1/2·W·D^-1/2 for n_a copies of a and n_b of b with cross affinity w (float64, from the definition):
    /// the graph has rank two, so 1, n_a/d_a + n_b/d_b − 1 (d_a = n_a + n_b·w, d_b = n_b + n_a·w), then zeros.
    /// </summary>
    private static double[] TwoPointSpectrum(int na, int nb, double w, int k)
    {
        var values = new double[k];
        values[0] = 1;
        if (k > 1)
            values[1] = na / (na + nb * w) + nb / (nb + na * w) - 1;
        return values;
    }

    /// <summary>Runs Ncut on x (float64, or float32 when <paramref name="float32"/>) and checks finiteness, orthonormality and the bounds.</summary>
    private (Matrix<double> u, double[] lambda, double sigma) Fit(double[,] x, int k, bool float32, NcutOptions? options = null)
    {
        var ncut = new Ncut(Cpu, (options ?? new NcutOptions()) with { EigenvectorCount = k });
        var u = float32 ? TestData.Matrix(ncut.FitTransform(TestData.ToFloat(x))) : TestData.Matrix(ncut.FitTransform(x));
        // float32: M is stored in float32 and its products summed in float32, so the Ritz values carry a few ulps of 1.
        double rounding = float32 ? 1e-6 : 1e-12;
        Assert.That(u.Enumerate().All(double.IsFinite), Is.True, "finite eigenvectors");
        Assert.That(EmbeddingChecks.OrthonormalityError(u), Is.LessThan(float32 ? 1e-5 : 1e-10), "UᵀU = I");
        Assert.That(ncut.Report!.Converged, Is.True, $"{ncut.Report}");
        for (int j = 0; j < k; j++)
        {
            Assert.That(Math.Abs(ncut.Eigenvalues[j]), Is.LessThanOrEqualTo(1 + rounding), $"λ{j} in [−1, 1]");
            if (j > 0)
                Assert.That(ncut.Eigenvalues[j], Is.LessThanOrEqualTo(ncut.Eigenvalues[j - 1]), $"λ{j} descending");
        }
        return (u, ncut.Eigenvalues, ncut.Sigma);
    }

    [TestCase(300, false)]
    [TestCase(300, true)]
    [TestCase(2000, false)]
    public void TwoPointsRepeated_GiveTheRankTwoSpectrum(int n, bool float32)
    {
        var x = TwoPoints(n, [0.0, 0.0], [1.0, 0.0]);
        const int k = 4;
        var (_, lambda, sigma) = Fit(x, k, float32);
        double w = Math.Exp(-1 / (2 * sigma * sigma));
        var expected = TwoPointSpectrum(n / 2, n / 2, w, k);
        double tol = float32 ? 1e-6 : 1e-12;
        for (int j = 0; j < k; j++)
            Assert.That(lambda[j], Is.EqualTo(expected[j]).Within(tol), $"λ{j} (σ = {sigma})");
    }

    [TestCase(200, false)]
    [TestCase(200, true)]
    [TestCase(2000, false)]
    public void IdenticalRows_GiveOneThenZeros(int n, bool float32)
    {
        var x = TwoPoints(n, [1.5, -2.0, 0.25], [1.5, -2.0, 0.25]);
        var (_, lambda, sigma) = Fit(x, 5, float32);
        // σ0 = 0: the documented σ, 2^⌊log₂ max|x|⌋ = 2 (every σ gives the same all-ones graph).
        Assert.That(sigma, Is.EqualTo(2.0));
        Assert.That(lambda[0], Is.EqualTo(1.0).Within(float32 ? 1e-6 : 1e-12));
        for (int j = 1; j < 5; j++)
            Assert.That(lambda[j], Is.EqualTo(0.0).Within(float32 ? 1e-6 : 1e-12), $"λ{j}");
    }

    [Test]
    public void ZeroColumns_AreTheEmbeddingOfTheOtherColumns()
    {
        var blobs = TestData.Blobs(150, 3, 3, separation: 3, seed: 6);
        var x = new double[150, 6];
        for (int i = 0; i < 150; i++)
            for (int c = 0; c < 3; c++)
                x[i, 2 * c + 1] = blobs[i, c];
        var (u, lambda, sigma) = Fit(x, 4, float32: false);
        var (values, vectors) = EmbeddingChecks.Reference(blobs, AffinityKind.Rbf, sigma, 5);
        for (int j = 0; j < 4; j++)
            Assert.That(lambda[j], Is.EqualTo(values[j]).Within(1e-9), $"λ{j}");
        Assert.That(EmbeddingChecks.SeparatedSubspaceSin(vectors, u, values, 1e-3, out int m), Is.LessThan(1e-6));
        Assert.That(m, Is.GreaterThan(1), "premise: a separated subspace");
    }

    [Test]
    public void ManyDuplicates_OfAFewPoints_MatchTheReference()
    {
        // 240 rows, 6 distinct points: W has rank 6, so most Lanczos directions are rounding.
        var points = TestData.Blobs(6, 4, 3, separation: 2, seed: 8);
        var x = new double[240, 4];
        for (int i = 0; i < 240; i++)
            for (int c = 0; c < 4; c++)
                x[i, c] = points[i % 6, c];
        var (u, lambda, sigma) = Fit(x, 8, float32: false);
        var (values, vectors) = EmbeddingChecks.Reference(x, AffinityKind.Rbf, sigma, 9);
        for (int j = 0; j < 8; j++)
            Assert.That(lambda[j], Is.EqualTo(values[j]).Within(1e-12), $"λ{j}");
        Assert.That(EmbeddingChecks.SeparatedSubspaceSin(vectors, u, values, 1e-3, out int m), Is.LessThan(1e-6));
        Assert.That(m, Is.EqualTo(6), "premise: six non-zero eigenvalues, then zeros");
    }
}
