// TinySigmaTests: σ → 0 gives the identity graph and a zero gradient where the precision holds 1/(2σ²), and a clear refusal below; no NaN/Inf ever leaves Ncut.
using NUnit.Framework;
using NcutKernels.Autodiff;
using NcutKernels.Cli;
using NcutKernels.Core;
using NcutKernels.IO;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class TinySigmaTests : CpuFixture
{
    private const int N = 60, D = 4, K = 4;

    /// <summary>Uniform rows in [0, 1)^4, rows 10–19 copies of rows 0–9 (50 distinct points, ten of them twice).</summary>
    private static double[,] WithDuplicates()
    {
        var x = TestData.Uniform(N, D, 11);
        for (int i = 10; i < 20; i++)
            for (int c = 0; c < D; c++)
                x[i, c] = x[i - 10, c];
        return x;
    }

    /// <summary>The eigenvectors, eigenvalues and dX of loss Σ w∘U² + Σλ on a tape of T.</summary>
    private (double[,] u, double[] lambda, double[,] dx) FitWithGradient<T>(T[,] x, NcutOptions options) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var ncut = new Ncut(Cpu, options);
        using var tape = new Tape<T>(Cpu);
        var xv = tape.Input(x);
        var (u, lambda) = ncut.FitTransform(xv);
        var w = TestData.Weights(x.GetLength(0), options.EigenvectorCount, 4);
        var weights = new T[w.GetLength(0), w.GetLength(1)];
        for (int i = 0; i < w.GetLength(0); i++)
            for (int j = 0; j < w.GetLength(1); j++)
                weights[i, j] = T.CreateChecked(w[i, j]);
        tape.Backward(tape.Add(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(weights))), tape.Sum(lambda)));
        return (Ncut.ToDouble(u.ToArray()), ncut.Eigenvalues, Ncut.ToDouble(xv.Gradient));
    }

    // Above the limit, σ → 0: every distinct point is its own component (duplicates share one), so the top eigenvalues are 1,
    // and no weight depends on X any more (exp(−d²/2σ²) underflows faster than 1/σ² grows): dX = 0 exactly.
    [TestCase(1e-12, false)]
    [TestCase(1e-17, false)]
    [TestCase(1e-30, true)]
    [TestCase(1e-140, true)]
    public void Rbf_TinySigma_GivesTheIdentityGraphAndAZeroGradient(double sigma, bool float64)
    {
        var x = WithDuplicates();
        var options = new NcutOptions { EigenvectorCount = K, Sigma = sigma };
        var (u, lambda, dx) = float64 ? FitWithGradient(x, options) : FitWithGradient(TestData.ToFloat(x), options);
        Assert.That(lambda, Has.All.EqualTo(1.0).Within(float64 ? 1e-12 : 1e-6), "λ");
        Assert.That(EmbeddingChecks.OrthonormalityError(TestData.Matrix(u)), Is.LessThan(float64 ? 1e-10 : 1e-5));
        Assert.That(dx, Has.All.EqualTo(0.0), "dX");
    }

    // Cosine: W → I + floor·J (no two rows share a direction here): λ1 = 1 and the rest 1/(1 + n·floor); dX = 0.
    [TestCase(1e-6, false)]
    [TestCase(1e-17, false)]
    [TestCase(1e-30, true)]
    [TestCase(1e-140, true)]
    public void Cosine_TinySigma_GivesTheFloorGraphAndAZeroGradient(double sigma, bool float64)
    {
        var x = TestData.Uniform(N, D, 12);
        var options = new NcutOptions { EigenvectorCount = K, Sigma = sigma, Affinity = AffinityKind.Cosine };
        var (_, lambda, dx) = float64 ? FitWithGradient(x, options) : FitWithGradient(TestData.ToFloat(x), options);
        double rest = 1 / (1 + N * AffinityMath.CosineFloor);
        Assert.That(lambda[0], Is.EqualTo(1.0).Within(float64 ? 1e-12 : 1e-6));
        for (int j = 1; j < K; j++)
            Assert.That(lambda[j], Is.EqualTo(rest).Within(float64 ? 1e-12 : 1e-6), $"λ{j}");
        Assert.That(dx, Has.All.EqualTo(0.0), "dX");
    }

    // Below the limit 1/(2σ²) overflows the precision: a refusal naming Sigma, the value and the limit, forward and on a tape.
    [TestCase(AffinityKind.Rbf, 1e-30, false, "8.67362E-19")]
    [TestCase(AffinityKind.Cosine, 1e-30, false, "8.67362E-19")]
    [TestCase(AffinityKind.Rbf, 1e-300, true, "3.05494E-151")]
    [TestCase(AffinityKind.Cosine, 1e-300, true, "3.05494E-151")]
    public void SigmaBelowTheLimit_IsRefused(AffinityKind kind, double sigma, bool float64, string limit)
    {
        var x = WithDuplicates();
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Sigma = sigma, Affinity = kind });
        void Check(Action fit)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => fit())!;
            Assert.That(e.ParamName, Is.EqualTo("Sigma"));
            Assert.That(e.ActualValue, Is.EqualTo(sigma));
            Assert.That(e.Message, Does.Contain(limit));
        }
        if (float64)
        {
            Check(() => ncut.FitTransform(x));
            using var tape = new Tape<double>(Cpu);
            Check(() => ncut.FitTransform(tape.Input(x)));
        }
        else
        {
            Check(() => ncut.FitTransform(TestData.ToFloat(x)));
            using var tape = new Tape<float>(Cpu);
            Check(() => ncut.FitTransform(tape.Input(TestData.ToFloat(x))));
        }
    }

    [Test]
    public void RbfLimit_ScalesWithFeaturesOutsideTheSafeRange()
    {
        // max|x| ≈ 2^-301 lies below float64's safe range [2^-256, 2^256): the features are used as x·2^301, so the limit 2^-500
        // becomes 2^-801 in the user's units.
        var x = EmbeddingChecks.Scaled(TestData.Uniform(N, D, 13), Math.ScaleB(1.0, -300));
        var fits = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Sigma = Math.ScaleB(1.0, -800) });
        Assert.That(() => fits.FitTransform(x), Throws.Nothing);
        var refused = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Sigma = Math.ScaleB(1.0, -802) });
        Assert.That(() => refused.FitTransform(x), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Sigma"));
    }

    [Test]
    public void EmbedWithTinySigma_ExitsWithAnErrorInsteadOfANaNGradient()
    {
        string dir = TempFolder.Create("ncut-tiny-sigma-");
        try
        {
            string P(string name) => Path.Combine(dir, name);
            Npy.Write(P("x.npy"), TestData.Uniform(40, 3, 14));
            Npy.Write(P("dl.npy"), new[] { 1.0, 1.0, 1.0 });
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int rc = Commands.Run(["embed", "--input", P("x.npy"), "--n-eig", "3", "--sigma", "1e-300", "--device", "cpu", "--output", P("u.npy"),
                "--eigenvalue-vjp", P("dl.npy"), "--grad-output", P("g.npy")], stdout, stderr);
            Assert.That(rc, Is.EqualTo(2), stdout + "\n" + stderr);
            Assert.That(stderr.ToString(), Does.Contain("Sigma = 1E-300"));
            Assert.That(File.Exists(P("g.npy")), Is.False, "no gradient written");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void GradientBeyondFloat64_ThrowsInsteadOfReturningInfinity()
    {
        // Features near 2^-1060 (subnormal) and σ with them: dλ/dX ~ 1/σ ≈ 2^1060 exceeds float64.
        double c = Math.ScaleB(1.0, -1060);
        var x = EmbeddingChecks.Scaled(EmbeddingChecks.Quantized(TestData.Blobs(N, D, 3, separation: 3, seed: 15)), c);
        var ncut = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Sigma = 2.5 * c });
        using var tape = new Tape<double>(Cpu);
        var xv = tape.Input(x);
        var (_, lambda) = ncut.FitTransform(xv);
        Assert.That(ncut.Eigenvalues, Has.All.Matches<double>(double.IsFinite), "the forward is fine");
        var e = Assert.Throws<ArithmeticException>(() => tape.Backward(tape.Sum(lambda)))!;
        Assert.That(e.Message, Does.Contain("non-finite gradient"));
    }

    [Test]
    public void NonFiniteOutput_IsAnArithmeticException()
    {
        var e = Assert.Throws<ArithmeticException>(() => Ncut.ThrowIfNotFinite([1.0, double.NaN], "eigenvalue"))!;
        Assert.That(e.Message, Does.Contain("non-finite eigenvalue NaN at index 1"));
        Assert.That(Ncut.ThrowIfNotFinite([1.0, -0.5], "eigenvalue"), Is.EqualTo(new[] { 1.0, -0.5 }));
    }
}
