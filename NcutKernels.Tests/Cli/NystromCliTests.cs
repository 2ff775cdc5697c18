// NystromCliTests: `ncut embed` picks exact or Nyström by size or --path, says which ran, and writes what NystromNcut computes.
using NcutKernels.Cli;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class NystromCliTests
{
    private string _dir = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _dir = TempFolder.Create("ncut-nystrom-cli-tests-");
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private string Write(string name, double[,] x)
    {
        string path = Path.Combine(_dir, name);
        Npy.Write(path, x);
        return path;
    }

    [TestCase("classic", NystromPropagation.Classic)]
    [TestCase("ncutpytorch", NystromPropagation.NcutPytorch)]
    public void Embed_PathNystrom_WritesNystromNcutsEmbedding_AndSaysSo(string flag, NystromPropagation propagation)
    {
        var x = TestData.Blobs(600, 4, 3, separation: 5, seed: 31);
        string input = Write("blobs600.npy", x), output = Path.Combine(_dir, $"u-{flag}.npy"), lambda = Path.Combine(_dir, $"l-{flag}.npy");
        var (code, stdout, stderr) = Run("embed", "--input", input, "--n-eig", "3", "--output", output, "--eigenvalues", lambda,
            "--device", "cpu", "--sigma", "2", "--path", "nystrom", "--propagation", flag, "--distance-precision", "tf32");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain($"ncut: path nystrom (600 points, 150 landmarks by Uniform sampling, {propagation} propagation)"));
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var expected = new NystromNcut(device, new NcutOptions { EigenvectorCount = 3, Sigma = 2 },
            new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = propagation });
        Assert.That(Npy.Read(output).ToMatrix<double>(), Is.EqualTo(expected.FitTransform(x)));
        Assert.That(Npy.Read(lambda).Doubles, Is.EqualTo(expected.Eigenvalues));
    }

    [Test]
    public void Embed_Auto_SmallInputIsExact()
    {
        var x = TestData.Blobs(150, 4, 3, separation: 5, seed: 32);
        string input = Write("blobs150.npy", x), output = Path.Combine(_dir, "u-auto-small.npy");
        var (code, stdout, stderr) = Run("embed", "--input", input, "--n-eig", "3", "--output", output, "--device", "cpu", "--sigma", "2");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("ncut: path exact (150 points, all in the graph)"));
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(Npy.Read(output).ToMatrix<double>(), Is.EqualTo(new Ncut(device, new NcutOptions { EigenvectorCount = 3, Sigma = 2 }).FitTransform(x)));
    }

    [Test]
    public void Embed_Auto_AboveTheThresholdIsNystrom()
    {
        const int n = 8200; // just above ncut_pytorch's 8192
        var x = TestData.Blobs(n, 3, 4, separation: 5, seed: 33);
        string input = Write("blobs8200.npy", x), output = Path.Combine(_dir, "u-auto-large.npy");
        var (code, stdout, stderr) = Run("embed", "--input", input, "--n-eig", "4", "--output", output, "--device", "cpu");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain($"ncut: path nystrom ({n} points, 2050 landmarks by Uniform sampling, Classic propagation)"));
        var u = Npy.Read(output);
        Assert.That(u.Shape, Is.EqualTo(new[] { n, 4 }));
        Assert.That(u.Doubles, Is.All.Matches<double>(double.IsFinite));
    }

    [TestCase("--path bogus", "--path")]
    [TestCase("--propagation bogus", "--propagation")]
    [TestCase("--sampling bogus", "--sampling")]
    [TestCase("--distance-precision fp16", "--distance-precision")]
    public void Misuse_ReturnsTwo_WithTheErrorThenTheUsage(string extra, string mentions)
    {
        string input = Write("blobs-bad.npy", TestData.Blobs(100, 3, 2, separation: 5, seed: 34));
        string output = Path.Combine(_dir, "bad-" + Guid.NewGuid().ToString("N") + ".npy");
        AssertMisuse(["embed", "--input", input, "--n-eig", "2", "--output", output, "--device", "cpu", .. extra.Split(' ')], mentions);
        Assert.That(File.Exists(output), Is.False, "no output written on error");
    }

    [Test]
    public void Vjp_OnTheNystromPath_WritesAFiniteGradient()
    {
        var x = TestData.Blobs(200, 3, 2, separation: 5, seed: 35);
        string input = Write("blobs-vjp.npy", x);
        var du = new double[200, 2];
        for (int i = 0; i < 200; i++)
            du[i, 0] = du[i, 1] = 1;
        string vjp = Write("du.npy", du), output = Path.Combine(_dir, "u-vjp.npy"), grad = Path.Combine(_dir, "dx-vjp.npy");
        var (code, stdout, stderr) = Run("embed", "--input", input, "--n-eig", "2", "--output", output, "--device", "cpu", "--sigma", "2",
            "--path", "nystrom", "--vjp", vjp, "--grad-output", grad);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("ncut: path nystrom (200 points, 50 landmarks"));
        var g = Npy.Read(grad);
        Assert.That(g.Shape, Is.EqualTo(new[] { 200, 3 }));
        Assert.That(g.Doubles, Is.All.Matches<double>(double.IsFinite));
        Assert.That(g.Doubles!.Max(Math.Abs), Is.GreaterThan(0));
    }

    [TestCase("exact")]
    [TestCase("nystrom")]
    public void CosineAffinity_RunsOnBothPaths(string path)
    {
        string input = Write("blobs-cosine.npy", TestData.Blobs(200, 4, 2, separation: 5, seed: 36));
        string output = Path.Combine(_dir, $"u-cosine-{path}.npy");
        var (code, stdout, stderr) = Run("embed", "--input", input, "--n-eig", "2", "--output", output, "--device", "cpu", "--affinity", "cosine",
            "--path", path);
        Assert.That(code, Is.EqualTo(0), stderr);
        // The classic extension is RBF only: cosine defaults to renormalized nearest-anchor weights.
        Assert.That(stdout, Does.Contain(path == "exact" ? "ncut: path exact" : "Renormalized propagation"));
        Assert.That(Npy.Read(output).Doubles, Is.All.Matches<double>(double.IsFinite));
    }

    [Test]
    public void Vjp_WithQuantile_OnTheNystromPath()
    {
        string input = Write("blobs-quantile.npy", TestData.Blobs(200, 3, 2, separation: 5, seed: 37));
        var du = new double[200, 2];
        for (int i = 0; i < 200; i++)
            du[i, 1] = 1;
        string vjp = Write("du-quantile.npy", du), grad = Path.Combine(_dir, "dx-quantile.npy");
        var (code, _, stderr) = Run("embed", "--input", input, "--n-eig", "2", "--output", Path.Combine(_dir, "u-quantile.npy"), "--device", "cpu",
            "--quantile", "0.3", "--path", "nystrom", "--vjp", vjp, "--grad-output", grad);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(Npy.Read(grad).Doubles, Is.All.Matches<double>(double.IsFinite));
    }
}
