// NystromSaveLoadTests: NystromNcut.Save then Load gives the original object's transforms and fitted properties, on both paths and every propagation; argument checks.
using NcutKernels.Autodiff;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class NystromSaveLoadTests : CpuFixture
{
    private string _dir = null!;

    [OneTimeSetUp]
    public void CreateFolder() => _dir = TempFolder.Create("ncut-fit-tests-");

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    /// <summary>Blobs that the fit sees, and a shard of other points from the same distribution (a later transform's rows).</summary>
    private static (double[,] fit, double[,] shard) Data(int n, int d = 6) =>
        (TestData.Blobs(n, d, 4, separation: 4, seed: 41), TestData.Blobs(257, d, 4, separation: 4, seed: 42));

    /// <summary>Every property a loaded fit restores, equal to the original's.</summary>
    private static void AssertSameFit(NystromNcut loaded, NystromNcut original)
    {
        Assert.That(loaded.Path, Is.EqualTo(original.Path));
        Assert.That(loaded.Propagation, Is.EqualTo(original.Propagation));
        Assert.That(loaded.Options.EigenvectorCount, Is.EqualTo(original.Options.EigenvectorCount));
        Assert.That(loaded.Options.Affinity, Is.EqualTo(original.Options.Affinity));
        Assert.That(loaded.Eigenvalues, Is.EqualTo(original.Eigenvalues));
        Assert.That(loaded.Sigma, Is.EqualTo(original.Sigma));
        Assert.That(loaded.LandmarkIndices, Is.EqualTo(original.LandmarkIndices));
        Assert.That(loaded.AnchorIndices, Is.EqualTo(original.AnchorIndices));
        Assert.That(loaded.PropagationSigma, Is.EqualTo(original.PropagationSigma));
        Assert.That(loaded.PropagationNeighbours, Is.EqualTo(original.PropagationNeighbours));
        Assert.That(loaded.SubsetResidual, Is.EqualTo(original.SubsetResidual));
    }

    // The exact path (every point a landmark) and the Nyström path, with each propagation; the classic extension also over a
    // least-squares landmark subset (ClassicLandmarks) and under the cosine affinity's default (renormalized) propagation.
    [TestCase(EmbeddingPath.Exact, NystromPropagation.Classic, null, AffinityKind.Rbf)]
    [TestCase(EmbeddingPath.Exact, NystromPropagation.Renormalized, null, AffinityKind.Rbf)]
    [TestCase(EmbeddingPath.Exact, NystromPropagation.NcutPytorch, null, AffinityKind.Rbf)]
    [TestCase(EmbeddingPath.Nystrom, NystromPropagation.Classic, null, AffinityKind.Rbf)]
    [TestCase(EmbeddingPath.Nystrom, NystromPropagation.Classic, 40, AffinityKind.Rbf)]
    [TestCase(EmbeddingPath.Nystrom, NystromPropagation.Renormalized, null, AffinityKind.Rbf)]
    [TestCase(EmbeddingPath.Nystrom, NystromPropagation.NcutPytorch, null, AffinityKind.Rbf)]
    [TestCase(EmbeddingPath.Nystrom, NystromPropagation.Renormalized, null, AffinityKind.Cosine)]
    public void SaveLoad_Float64_TransformsAsTheOriginal(EmbeddingPath path, NystromPropagation propagation, int? classicLandmarks, AffinityKind affinity)
    {
        var (x, shard) = Data(600);
        var options = new NcutOptions { EigenvectorCount = 5, Affinity = affinity, Seed = 3 };
        var nystrom = new NystromOptions { Path = path, Propagation = propagation, ClassicLandmarks = classicLandmarks, AnchorCount = 64 };
        using var original = new NystromNcut(Cpu, options, nystrom);
        var u = original.FitTransform(x);
        string file = Path.Combine(_dir, $"{path}-{propagation}-{classicLandmarks}-{affinity}.ncutfit");
        original.Save(file);
        using var loaded = NystromNcut.Load(Cpu, file);
        AssertSameFit(loaded, original);
        // Same device kind and element type: the loaded fit runs the same arithmetic on the same numbers, so the results are
        // bit-identical (stronger than the ~1e-12 a float64 round trip needs).
        Assert.That(loaded.Transform(shard), Is.EqualTo(original.Transform(shard)), "a new shard");
        Assert.That(loaded.Transform(x), Is.EqualTo(original.Transform(x)), "the fitted rows");
        if (path == EmbeddingPath.Nystrom)
            Assert.That(loaded.Transform(x), Is.EqualTo(u), "on the Nyström path a transform of the fitted rows is the fit's output");
    }

    [TestCase(EmbeddingPath.Exact, NystromPropagation.Classic)]
    [TestCase(EmbeddingPath.Nystrom, NystromPropagation.Classic)]
    [TestCase(EmbeddingPath.Nystrom, NystromPropagation.NcutPytorch)]
    public void SaveLoad_Float32_ThroughAStream_TransformsAsTheOriginal(EmbeddingPath path, NystromPropagation propagation)
    {
        var (x, shard) = Data(500);
        var (xf, sf) = (TestData.ToFloat(x), TestData.ToFloat(shard));
        using var original = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4 }, new NystromOptions { Path = path, Propagation = propagation });
        original.Fit(xf);
        using var stream = new MemoryStream();
        original.Save(stream);
        stream.Position = 0;
        using var loaded = NystromNcut.Load(Cpu, stream);
        Assert.That(stream.Position, Is.EqualTo(stream.Length), "the stream is left after the fit");
        AssertSameFit(loaded, original);
        Assert.That(loaded.Transform(sf), Is.EqualTo(original.Transform(sf)));
        // A float64 shard against the float32 fit: both convert the fit for that call, the same way.
        Assert.That(loaded.Transform(shard), Is.EqualTo(original.Transform(shard)));
    }

    [Test]
    public void SaveLoad_IsAFixedPoint_AndSavingTwiceGivesTheSameBytes()
    {
        var (x, _) = Data(400);
        using var original = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 3 }, EmbeddingChecks.ForcedNystrom(NystromPropagation.NcutPytorch));
        original.Fit(x);
        var first = Bytes(original);
        Assert.That(Bytes(original), Is.EqualTo(first), "saving is deterministic");
        using var loaded = NystromNcut.Load(Cpu, new MemoryStream(first));
        Assert.That(Bytes(loaded), Is.EqualTo(first), "a loaded fit saves to the same bytes");
        loaded.Transform(x);
        Assert.That(Bytes(loaded), Is.EqualTo(first), "also after it has been uploaded by a transform");
    }

    [TestCase(EmbeddingPath.Exact)]
    [TestCase(EmbeddingPath.Nystrom)]
    public void Float64Fit_TransformedInFloat32First_KeepsItsPrecision_AndSavesAsFloat64(EmbeddingPath path)
    {
        var (x, shard) = Data(400);
        var settings = (new NcutOptions { EigenvectorCount = 3 }, new NystromOptions { Path = path });
        using var reference = new NystromNcut(Cpu, settings.Item1, settings.Item2);
        reference.Fit(x);
        var expected = reference.Transform(shard);
        var bytes = Bytes(reference);
        using var loaded = NystromNcut.Load(Cpu, new MemoryStream(bytes));
        using var fitted = new NystromNcut(Cpu, settings.Item1, settings.Item2);
        fitted.Fit(x);
        foreach (var (fit, what) in new[] { (loaded, "a loaded fit"), (fitted, "a fitted one") })
        {
            fit.Transform(TestData.ToFloat(shard));   // float32 first: a converted copy, the fit itself stays float64
            Assert.That(fit.Transform(shard), Is.EqualTo(expected), $"{what}: float64 transforms unchanged");
            Assert.That(Bytes(fit), Is.EqualTo(bytes), $"{what}: still saves the float64 fit");
        }
    }

    private static byte[] Bytes(NystromNcut fit)
    {
        using var stream = new MemoryStream();
        fit.Save(stream);
        return stream.ToArray();
    }

    [Test]
    public void SaveLoad_DifferentiableFit_TransformsAsTheOriginal()
    {
        var (x, shard) = Data(500);
        using var original = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4 }, EmbeddingChecks.ForcedNystrom());
        using (var tape = new Tape<double>(Cpu))
            original.FitTransform(tape.Input(x));
        using var loaded = NystromNcut.Load(Cpu, new MemoryStream(Bytes(original)));
        AssertSameFit(loaded, original);
        Assert.That(loaded.Transform(shard), Is.EqualTo(original.Transform(shard)));
    }

    [Test]
    public void Transform_OfTheFittedRows_OnTheExactPath_IsTheEmbeddingWithinTheSolversResidualOverLambda()
    {
        // On the exact path the fit's output is the eigenvectors U; a transform of the fitted rows is the classic extension of
        // U, W·D^-1/2·U·Λ^-1/√d = U + (M·U − U·Λ)·Λ^-1 row by row: U up to the eigen-solve's residual over λ (float64: residual ≤ 1e-9).
        var (x, _) = Data(600);
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4, Sigma = 2 }, new NystromOptions { Path = EmbeddingPath.Exact });
        var u = fit.FitTransform(x);
        double bound = 1e-9 / fit.Eigenvalues.Min();
        using var loaded = NystromNcut.Load(Cpu, new MemoryStream(Bytes(fit)));
        var v = loaded.Transform(x);
        Tolerances.AssertClose(TestData.Flatten(v), TestData.Flatten(u), 10 * bound, 0, "transform vs fit", 4);
    }

    [Test]
    public void BadCalls_ThrowNamingTheProblem()
    {
        var (x, _) = Data(300);
        using var unfitted = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 3 });
        Assert.That(() => unfitted.Save(new MemoryStream()), Throws.InvalidOperationException.With.Message.Contains("Fit"));
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 3 });
        fit.Fit(x);
        Assert.Multiple(() =>
        {
            Assert.That(() => fit.Save((string)null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("path"));
            Assert.That(() => fit.Save(""), Throws.ArgumentException.With.Property("ParamName").EqualTo("path"));
            Assert.That(() => fit.Save((Stream)null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
            Assert.That(() => fit.Save(new MemoryStream([], writable: false)), Throws.ArgumentException.With.Property("ParamName").EqualTo("stream"));
            Assert.That(() => fit.Save(Path.Combine(_dir, "no-such-folder", "f.ncutfit")), Throws.InstanceOf<DirectoryNotFoundException>());
            Assert.That(() => NystromNcut.Load(null!, "f"), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("device"));
            Assert.That(() => NystromNcut.Load(Cpu, ""), Throws.ArgumentException.With.Property("ParamName").EqualTo("path"));
            Assert.That(() => NystromNcut.Load(Cpu, (Stream)null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
            Assert.That(() => NystromNcut.Load(Cpu, Path.Combine(_dir, "missing.ncutfit")), Throws.InstanceOf<FileNotFoundException>());
            Assert.That(() => NystromNcut.Load(Cpu, _dir), Throws.InstanceOf<InvalidDataException>().With.Message.StartsWith(_dir + ": is a folder"));
        });
        string file = Path.Combine(_dir, "bad-calls.ncutfit");
        fit.Save(file);
        Assert.That(TempFolder.Entries(_dir).Where(e => e.EndsWith(".tmp", StringComparison.Ordinal)), Is.Empty, "no temporary file left");
        using var loaded = NystromNcut.Load(Cpu, file);
        Assert.That(() => loaded.Transform(new double[5, 7]), Throws.ArgumentException.With.Message.Contains("d = 6"));
        var device = ComputeDevice.Create(DeviceKind.Cpu);
        device.Dispose();
        Assert.That(() => NystromNcut.Load(device, file), Throws.InstanceOf<ObjectDisposedException>());
        fit.Dispose();
        Assert.That(() => fit.Save(file), Throws.InstanceOf<ObjectDisposedException>());
    }
}
