// CliOutputTests: `ncut embed` checks every output path before any work and writes its outputs all or none — no partial set, no temporaries, inputs never overwritten.
using NcutKernels.IO;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class CliOutputTests
{
    private string _dir = null!;
    private string _input = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = TempFolder.Create("ncut-cli-outputs-");
        _input = P("x.npy");
        Npy.Write(_input, TestData.Blobs(60, 3, 3, separation: 6, seed: 41));
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static (int, string, string) Embed(params string[] extra) => Run(["embed", "--n-eig", "2", "--device", "cpu", "--sigma", "2", .. extra]);

    [Test]
    public void Success_WritesEveryOutput_AndNoTemporaries()
    {
        var (code, stdout, stderr) = Embed("--input", _input, "--output", P("u.npy"), "--eigenvalues", P("l.npy"));
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "l.npy", "u.npy", "x.npy" }));
        Assert.That(stdout, Does.Contain($"wrote {P("u.npy")}, {P("l.npy")}"));
        Assert.That(Npy.Read(P("u.npy")).Shape, Is.EqualTo(new[] { 60, 2 }));
    }

    [TestCase("--eigenvalues")]
    [TestCase("--grad-output")]
    public void SecondPathInAMissingFolder_IsRefusedBeforeAnyWork_AndNothingIsWritten(string option)
    {
        string bad = Path.Combine(_dir, "no-such-folder", "out.npy");
        Npy.Write(P("du.npy"), new double[60, 2]);
        string[] args = option == "--grad-output"
            ? ["--input", _input, "--output", P("u.npy"), "--vjp", P("du.npy"), "--grad-output", bad]
            : ["--input", _input, "--output", P("u.npy"), "--eigenvalues", bad];
        var (code, stdout, stderr) = Embed(args);
        Assert.That(code, Is.EqualTo(2));
        AssertOneErrorLine(stderr, option, "does not exist");
        Assert.That(stdout, Does.Not.Contain("device:"), "refused before the device is even created");
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "du.npy", "x.npy" }), "no output, no temporary");
    }

    [Test]
    public void OutputThatIsAFolder_IsRefused()
    {
        Directory.CreateDirectory(P("u.npy"));
        var (code, _, stderr) = Embed("--input", _input, "--output", P("u.npy"));
        Assert.That(code, Is.EqualTo(2));
        AssertOneErrorLine(stderr, "--output", "is a folder");
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "u.npy", "x.npy" }));
    }

    [Test]
    public void OutputEqualToInput_IsRefused_EvenSpelledDifferently()
    {
        var before = File.ReadAllBytes(_input);
        string sameFile = Path.Combine(_dir, ".", "..", Path.GetFileName(_dir), "x.npy");
        var (code, stdout, stderr) = Embed("--input", _input, "--output", sameFile);
        Assert.That(code, Is.EqualTo(2));
        AssertOneErrorLine(stderr, "--output", "would overwrite --input");
        Assert.That(stdout, Is.Empty);
        Assert.That(File.ReadAllBytes(_input), Is.EqualTo(before));
    }

    [Test]
    public void GradientOutputEqualToTheVjpInput_IsRefused()
    {
        Npy.Write(P("du.npy"), new double[60, 2]);
        var (code, _, stderr) = Embed("--input", _input, "--output", P("u.npy"), "--vjp", P("du.npy"), "--grad-output", P("du.npy"));
        Assert.That(code, Is.EqualTo(2));
        AssertOneErrorLine(stderr, "--grad-output", "would overwrite --vjp");
    }

    [TestCase("--eigenvalues")]
    [TestCase("--grad-output")]
    public void TwoOutputsOnOnePath_AreRefused(string option)
    {
        Npy.Write(P("du.npy"), new double[60, 2]);
        string[] args = option == "--grad-output"
            ? ["--input", _input, "--output", P("u.npy"), "--vjp", P("du.npy"), "--grad-output", P("u.npy")]
            : ["--input", _input, "--output", P("u.npy"), "--eigenvalues", P("u.npy")];
        var (code, _, stderr) = Embed(args);
        Assert.That(code, Is.EqualTo(2));
        AssertOneErrorLine(stderr, $"--output and {option} both write");
        Assert.That(File.Exists(P("u.npy")), Is.False);
    }

    [Test]
    public void FailureAfterTheWorkStarted_LeavesEarlierOutputsUntouched_AndNoTemporaries()
    {
        // Old outputs from an earlier run, then a run whose --vjp has the wrong shape: it fails after the device is created.
        Npy.Write(P("u.npy"), new double[,] { { 7 } });
        var before = File.ReadAllBytes(P("u.npy"));
        Npy.Write(P("du.npy"), new double[5, 2]);
        var (code, stdout, stderr) = Embed("--input", _input, "--output", P("u.npy"), "--eigenvalues", P("l.npy"), "--vjp", P("du.npy"),
            "--grad-output", P("dx.npy"));
        Assert.That(code, Is.EqualTo(2));
        AssertOneErrorLine(stderr, "--vjp", "expected shape (60, 2)");
        Assert.That(stdout, Does.Contain("device:"), "sanity: the failure came after the work started");
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "du.npy", "u.npy", "x.npy" }), "no new output, no temporary");
        Assert.That(File.ReadAllBytes(P("u.npy")), Is.EqualTo(before), "the earlier output is untouched");
    }
}
