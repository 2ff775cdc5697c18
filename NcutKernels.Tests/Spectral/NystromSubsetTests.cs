// NystromSubsetTests: the classic extension over a landmark subset when eigenvalues are small, the fallback to every landmark, output signs kept across transforms, and the accuracy check.
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

public class NystromSubsetTests : CpuFixture
{
    /// <summary>Largest |cos| between two distinct columns of m.</summary>
    private static double MaxColumnCos(Matrix<double> m)
    {
        var norms = m.ColumnNorms(2);
        double worst = 0;
        for (int a = 0; a < m.ColumnCount; a++)
            for (int b = a + 1; b < m.ColumnCount; b++)
                worst = Math.Max(worst, Math.Abs(m.Column(a) * m.Column(b)) / (norms[a] * norms[b]));
        return worst;
    }

    /// <summary>
    /// A 20-cluster mixture in 64 dimensions (centres uniform in ±1, unit noise): the degree rule picks a σ that makes the
    /// landmark graph nearly complete, so λ2…λ20 are ~1e-3 — the regime where the classic formula summed over a random landmark
    /// subset lets its sampling error, times 1/λ, swamp every column but the first.
    /// </summary>
    private static float[,] SmallEigenvalueMixture(int n, int seed) => TestData.ToFloat(TestData.Blobs(n, 64, 20, separation: 1, seed: seed));

    [Test]
    public void DefaultSubset_StaysUsable_WhenEigenvaluesAreSmall()
    {
        const int n = 20000, m = 2048, k = 20;
        var x = SmallEigenvalueMixture(n, seed: 3);
        // ClassicWork 2²⁰ forces the subset regime of n·m > 2³⁰ at a CI-friendly size (n·m = 4·10⁷ here).
        var nystrom = new NystromOptions { SampleCount = m, ClassicWork = 1 << 20, AccuracyCheckRows = 600 };
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = k }, nystrom);
        var u = fit.FitTransform(x);
        Assert.That(fit.Eigenvalues.Skip(1).Max(), Is.LessThan(0.01), "premise: small eigenvalues");
        Assert.That(fit.AnchorIndices.Length, Is.LessThan(m), "a subset is in use");
        Assert.That(fit.SubsetResidual, Is.LessThanOrEqualTo(nystrom.ClassicTolerance));
        Assert.That(u.Cast<float>(), Is.All.Matches<float>(float.IsFinite));
        double cos = MaxColumnCos(TestData.Matrix(u));
        TestContext.Out.WriteLine($"subset {fit.AnchorIndices.Length}, residual {fit.SubsetResidual:E2}, max |cos| {cos:F3}; {fit.Accuracy}");
        Assert.That(cos, Is.LessThanOrEqualTo(0.1));
        Assert.That(fit.Accuracy, Is.Not.Null);
        // Measured: sin θ 1e-3 against the float64 all-landmark extension (float32 sums over the subset).
        Assert.That(fit.Accuracy!.SinTheta, Is.LessThan(0.01));
        Assert.That(fit.Accuracy.Passed);

        // Premise of the test: on the same rows, the classic formula summed over the same subset (a Monte-Carlo estimate of the
        // all-landmark sums, what the fit would have done without the least-squares weights) is not usable.
        Assert.That(MonteCarloSubsetCos(x, fit, rows: 600), Is.GreaterThan(0.5));
    }

    /// <summary>max |cos| between the columns of the classic extension summed over the fit's landmark subset (float64, m/s-rescaled).</summary>
    private static double MonteCarloSubsetCos(float[,] x, NystromNcut fit, int rows)
    {
        int d = x.GetLength(1), k = fit.Eigenvalues.Length;
        var landmarks = fit.LandmarkIndices;
        var subset = fit.AnchorIndices;
        int m = landmarks.Length;
        var xl = new double[m, d];
        for (int r = 0; r < m; r++)
            for (int e = 0; e < d; e++)
                xl[r, e] = x[landmarks[r], e];
        // The landmark graph as the fit solved it (same matrix and seed), in float64.
        var landmarkNcut = new Ncut(fit.Device, new NcutOptions { EigenvectorCount = k, Sigma = fit.Sigma });
        var ul = landmarkNcut.FitTransform(xl);
        var lambda = landmarkNcut.Eigenvalues;
        var degrees = TestData.Affinity(xl, false, fit.Sigma).RowSums();
        double scale = 1 / (2 * fit.Sigma * fit.Sigma);
        var position = subset.Select(row => Array.IndexOf(landmarks, row)).ToArray();
        var y = Matrix<double>.Build.Dense(rows, k);
        for (int i = 0; i < rows; i++)
        {
            int row = i * (x.GetLength(0) / rows);
            var weights = position.Select(p => Math.Exp(-Enumerable.Range(0, d).Sum(e => Math.Pow(x[row, e] - xl[p, e], 2)) * scale)).ToArray();
            double dx = weights.Sum();
            for (int c = 0; c < k; c++)
                y[i, c] = Enumerable.Range(0, subset.Length).Sum(j => weights[j] * ul[position[j], c] / Math.Sqrt(degrees[position[j]])) / lambda[c] / Math.Sqrt(dx);
        }
        return MaxColumnCos(y);
    }

    [Test]
    public void NoSubsetWithinTolerance_FallsBackToEveryLandmark()
    {
        var x = SmallEigenvalueMixture(6000, seed: 5);
        var log = new StringWriter();
        // A tolerance no subset reaches: the extension sums over all m landmarks, exact at the landmarks (residual 0).
        var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom, SampleCount = 1200, ClassicWork = 1 << 16, ClassicTolerance = 1e-12 };
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 6, Log = log }, nystrom);
        var u = fit.FitTransform(x);
        Assert.That(fit.AnchorIndices, Is.EqualTo(fit.LandmarkIndices));
        Assert.That(fit.SubsetResidual, Is.EqualTo(0));
        Assert.That(log.ToString(), Does.Contain("no landmark subset of up to 1024 reached the tolerance"));
        Assert.That(u.Cast<float>(), Is.All.Matches<float>(float.IsFinite));
    }

    [TestCase(NystromPropagation.Classic, null)]
    [TestCase(NystromPropagation.Classic, 64)]
    [TestCase(NystromPropagation.Renormalized, null)]
    [TestCase(NystromPropagation.NcutPytorch, null)]
    public void OutputSigns_AreDecidedOnTheFitsRows_AndKeptByEveryTransform(NystromPropagation propagation, int? classicLandmarks)
    {
        const int n = 3000, k = 6;
        var x = TestData.ToFloat(TestData.Blobs(n, 8, 6, separation: 3, seed: 17));
        var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = propagation, ClassicLandmarks = classicLandmarks };
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = k }, nystrom);
        var u = fit.FitTransform(x);
        for (int c = 0; c < k; c++)
            Assert.That(Enumerable.Range(0, n).Sum(i => (double)u[i, c]), Is.GreaterThanOrEqualTo(0), $"column {c} sums to ≥ 0 over the fitted rows");
        Assert.That(fit.Transform(x), Is.EqualTo(u), "a transform of the fitted rows gives the fit's output, signs included");
        // A shard: rows 1000..1499 alone, as a later transform would see them.
        var shard = new float[500, 8];
        for (int i = 0; i < 500; i++)
            for (int e = 0; e < 8; e++)
                shard[i, e] = x[1000 + i, e];
        var v = fit.Transform(shard);
        for (int i = 0; i < 500; i++)
            for (int c = 0; c < k; c++)
                Assert.That(v[i, c], Is.EqualTo(u[1000 + i, c]), $"shard row {i}, column {c}");
        // Fit then Transform gives FitTransform's output; so does a device-resident fit.
        using var again = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = k }, nystrom);
        Assert.That(again.Fit(x).Transform(x), Is.EqualTo(u));
        using var resident = DeviceMatrix<float>.Upload(Cpu, x);
        using var onDevice = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = k }, nystrom);
        using var ud = onDevice.FitTransform(resident);
        var host = new float[n * k];
        ud.Download(host);
        Assert.That(host, Is.EqualTo(u.Cast<float>().ToArray()));
    }

    [Test]
    public void AccuracyCheck_ComparesWithTheFloat64Extension_AndTheExactPath()
    {
        var x = TestData.Blobs(2400, 6, 4, separation: 5, seed: 23);
        var log = new StringWriter();
        var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom, AccuracyCheckRows = 300 };
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4, Log = log }, nystrom);
        fit.FitTransform(x);
        var check = fit.Accuracy!;
        Assert.That(check.Rows, Is.EqualTo(300));
        // float64 on the managed device, every landmark: the same formula in another summation order.
        Assert.That(check.SinTheta, Is.LessThan(1e-9));
        Assert.That(check.MaxRowError, Is.LessThan(1e-9));
        Assert.That(check.Passed);
        Assert.That(check.ExactSinTheta, Is.Not.Null.And.LessThan(0.1), "n ≤ 16384: compared with the exact path (well-separated blobs)");
        Assert.That(log.ToString(), Does.Contain("accuracy on 300 sampled rows"));

        using var unchecked_ = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4 }, nystrom with { AccuracyCheckRows = 0 });
        unchecked_.FitTransform(x);
        Assert.That(unchecked_.Accuracy, Is.Null, "off by default");
    }

    [Test]
    public void AccuracyCheck_FailsAndWarns_WhenThePropagationIsNotTheClassicExtension()
    {
        // ncut_pytorch's nearest-anchor propagation on clustered data is far from the classic extension: the check says so.
        var x = TestData.Blobs(2400, 6, 4, separation: 5, seed: 23);
        var log = new StringWriter();
        var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = NystromPropagation.NcutPytorch, AccuracyCheckRows = 300 };
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4, Log = log }, nystrom);
        fit.FitTransform(x);
        TestContext.Out.WriteLine(fit.Accuracy);
        Assert.That(fit.Accuracy!.Passed, Is.False);
        Assert.That(log.ToString(), Does.Contain("warning: nystrom accuracy: the propagated rows differ"));
        var warnings = new List<NcutWarning>();
        using var observed = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4, OnWarning = warnings.Add }, nystrom);
        observed.FitTransform(x);
        Assert.That(warnings.Select(w => w.Source), Is.EqualTo(new[] { "nystrom accuracy" }));
        Assert.That(warnings[0].Remedy, Does.Contain("Propagation = Classic"));
        using var strict = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4, Strict = true }, nystrom);
        Assert.That(() => strict.FitTransform(x), Throws.InstanceOf<NcutReliabilityException>()
            .With.Property(nameof(NcutReliabilityException.Warning)).Property(nameof(NcutWarning.Source)).EqualTo("nystrom accuracy"));
        Assert.That(strict.Accuracy, Is.Not.Null.And.Property(nameof(NystromAccuracy.Passed)).False, "the check's result stays readable");
        Assert.That(strict.LandmarkIndices, Is.Empty, "a refused fit leaves no fit behind");
        Assert.That(strict.HoldsDeviceMemory, Is.False);
        Assert.That(() => strict.Transform(x), Throws.InvalidOperationException);
    }

    [Test]
    public void AccuracyCheck_NeedsTheRbfAffinity()
    {
        Assert.That(() => new NystromNcut(Cpu, new NcutOptions { Affinity = AffinityKind.Cosine },
                new NystromOptions { Propagation = NystromPropagation.Renormalized, AccuracyCheckRows = 100 }),
            Throws.ArgumentException.With.Message.Contains("AccuracyCheckRows").And.Message.Contains("RBF"));
    }

    [TestCase(-30)]
    [TestCase(40)]
    public void Cosine_GivesTheSameEmbeddingAtAnyScale_HostAndDevice(int exponent)
    {
        // The cosine graph does not depend on the features' scale; on the Nyström path it is built, as on the exact path, from
        // landmark rows scaled into max|x| ∈ [1, 2), so the 1e-8 norm floor and the σ rule's σ0 (Quantile set) follow the data.
        var x = TestData.ToFloat(TestData.Blobs(2000, 6, 4, separation: 4, seed: 41));
        double c = Math.ScaleB(1.0, exponent);
        var cx = new float[2000, 6];
        for (int i = 0; i < 2000; i++)
            for (int j = 0; j < 6; j++)
                cx[i, j] = (float)(x[i, j] * c);
        var options = new NcutOptions { EigenvectorCount = 4, Affinity = AffinityKind.Cosine, Quantile = 0.25 };
        var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom };
        using var plain = new NystromNcut(Cpu, options, nystrom);
        var expected = plain.FitTransform(x);
        using var scaled = new NystromNcut(Cpu, options, nystrom);
        Assert.That(scaled.FitTransform(cx), Is.EqualTo(expected));
        Assert.That(scaled.Sigma, Is.EqualTo(plain.Sigma), "cosine σ has no unit");
        using var resident = DeviceMatrix<float>.Upload(Cpu, cx);
        using var onDevice = new NystromNcut(Cpu, options, nystrom);
        using var ud = onDevice.FitTransform(resident);
        Assert.That(onDevice.Sigma, Is.EqualTo(plain.Sigma), "device-resident input: the same σ rule");
        Assert.That(ud.Download(), Is.EqualTo(expected));
    }

    [Test]
    public void Options_AreValidated()
    {
        Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { ClassicTolerance = 0 }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ClassicTolerance"));
        Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { ClassicTolerance = double.NaN }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ClassicTolerance"));
        Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { ClassicWork = 0 }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ClassicWork"));
        Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { AccuracyCheckRows = -1 }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("AccuracyCheckRows"));
    }
}
