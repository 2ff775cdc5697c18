// CliTests: the `ncut` commands (embed, info, usage; trace and demo in TraceCommandTests) through Commands.Run: outputs against MathNet, one-line errors with exit code 2.
using NcutKernels.Cli;
using NcutKernels.IO;
using NcutKernels.Tests.IO;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class CliTests
{
    private const int N = 120, D = 4, Clusters = 3;
    private const double Sigma = 2;

    private string _dir = null!;
    private string _input = null!;
    private double[,] _x = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _dir = TempFolder.Create("ncut-cli-tests-");
        _x = TestData.Blobs(N, D, Clusters, separation: 6, seed: 21);
        _input = Path.Combine(_dir, "blobs.npy");
        Npy.Write(_input, _x);
        File.WriteAllBytes(Path.Combine(_dir, "garbage.npy"), [0x00, 0x13, 0x37, 0x42, 0xFF, 0xFE, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70]);
        File.WriteAllBytes(Path.Combine(_dir, "cube.npy"), CubeNpy());
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A valid 2×2×2 float64 .npy (v1.0, 64-byte aligned header).</summary>
    private static byte[] CubeNpy() => NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", new byte[8 * 8]);

    [Test]
    public void Embed_Int64Input_IsComputedInFloat32_AsTheSameValuesInFloat32()
    {
        // Whole numbers: exact in int64 and float32 alike.
        var whole = _x.Cast<double>().Select(v => (long)Math.Round(8 * v)).ToArray();
        string ints = Path.Combine(_dir, "whole-i8.npy"), floats = Path.Combine(_dir, "whole-f4.npy");
        File.WriteAllBytes(ints, NpyBytes.Build($"{{'descr': '<i8', 'fortran_order': False, 'shape': ({N}, {D}), }}", NpyBytes.Bytes(whole)));
        File.WriteAllBytes(floats, NpyBytes.Build($"{{'descr': '<f4', 'fortran_order': False, 'shape': ({N}, {D}), }}",
            NpyBytes.Bytes(whole.Select(v => (float)v).ToArray())));
        var outputs = new[] { ints, floats }.Select(input =>
        {
            string output = input.Replace(".npy", "-u.npy");
            var (code, _, stderr) = Run("embed", "--input", input, "--n-eig", "3", "--output", output, "--device", "cpu");
            Assert.That(code, Is.EqualTo(0), stderr);
            return Npy.Read(output);
        }).ToArray();
        Assert.That(outputs[0].Singles, Is.Not.Null, "float32 output");
        Assert.That(outputs[0].Singles, Is.EqualTo(outputs[1].Singles));
    }

    [Test]
    public void Embed_Float64_MatchesMathNetDenseEvd()
    {
        string output = Path.Combine(_dir, "u.npy"), eigenvalues = Path.Combine(_dir, "lambda.npy");
        const int k = 3;
        var (code, stdout, stderr) = Run("embed", "--input", _input, "--n-eig", $"{k}", "--output", output,
            "--eigenvalues", eigenvalues, "--device", "cpu", "--sigma", $"{Sigma}");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.Contain("wrote"));

        var u = Npy.Read(output);
        Assert.That(u.Shape, Is.EqualTo(new[] { N, k }));
        Assert.That(u.IsDouble, Is.True, "float64 input on cpu gives float64 output");
        var lambda = Npy.Read(eigenvalues);
        Assert.That(lambda.Shape, Is.EqualTo(new[] { k }));
        Assert.That(lambda.IsDouble, Is.True);

        var m = TestData.Normalize(TestData.Affinity(_x, false, Sigma));
        var (values, vectors) = TestData.TopK(m, k);
        for (int j = 0; j < k; j++)
            Assert.That(lambda.Doubles![j], Is.EqualTo(values[j]).Within(1e-9), $"λ{j}");
        var um = TestData.Matrix(u.ToMatrix<double>());
        Assert.That(TestData.SubspaceSin(vectors, um), Is.LessThan(1e-7));
        for (int j = 0; j < k; j++)
            Assert.That(um.Column(j).Sum(), Is.GreaterThanOrEqualTo(0), $"sign convention: column {j} sums to ≥ 0");
    }

    [Test]
    public void Embed_Float32Input_WritesFloat32()
    {
        string input = Path.Combine(_dir, "blobs32.npy"), output = Path.Combine(_dir, "u32.npy");
        Npy.Write(input, TestData.ToFloat(_x));
        // k = 3 = number of blobs: λ1..λ3 ≈ 1 are nearly degenerate, so only the whole top-3 subspace is well defined in float32.
        const int k = 3;
        var (code, _, stderr) = Run("embed", "--input", input, "--n-eig", $"{k}", "--output", output, "--device", "cpu", "--sigma", $"{Sigma}");
        Assert.That(code, Is.EqualTo(0), stderr);
        var u = Npy.Read(output);
        Assert.That(u.IsDouble, Is.False);
        Assert.That(u.Shape, Is.EqualTo(new[] { N, k }));
        var rounded = TestData.ToDouble(TestData.ToFloat(_x));
        var (values, vectors) = TestData.TopK(TestData.Normalize(TestData.Affinity(rounded, false, Sigma)), k + 1);
        Assert.That(values[k - 1] - values[k], Is.GreaterThan(0.1), "sanity: the top-k subspace is well separated");
        vectors = vectors.SubMatrix(0, N, 0, k);
        Assert.That(TestData.SubspaceSin(vectors, TestData.Matrix(u.ToMatrix<float>())), Is.LessThan(1e-4));
    }

    [TestCase("embed --output {out} --n-eig 3 --device cpu", "--input", TestName = "Embed_MissingInput")]
    [TestCase("embed --input {in} --output {out} --n-eig 3 --bogus-option 1", "--bogus-option", TestName = "Embed_UnknownOption")]
    [TestCase("embed --input {in} --output {out} --n-eig three", "--n-eig", TestName = "Embed_NEigNotANumber")]
    [TestCase("embed --input {in} --output {out} --n-eig 3 --device bogus", "bogus", TestName = "Embed_BogusDevice")]
    [TestCase("embed --input {in} --output {out} --n-eig 3 --device cpu --sigma -1", "--sigma", TestName = "Embed_NegativeSigma")]
    [TestCase("embed --input {in} --output {out} --n-eig 3 --device cpu --sigma 1 --quantile 0.3", "not both", TestName = "Embed_SigmaAndQuantile")]
    [TestCase("embed --input {in} --output {out} --n-eig 3 --n-eig 4", "twice", TestName = "Embed_RepeatedOption")]
    [TestCase("embed --input {in} --output {out} --n-eig", "needs a value", TestName = "Embed_OptionWithoutValue")]
    [TestCase("embed --input {in} --output {out} --n-eig 3 --affinity laplace", "laplace", TestName = "Embed_UnknownAffinity")]
    [TestCase("frobnicate", "frobnicate", TestName = "UnknownCommand")]
    public void Misuse_ReturnsTwo_WithTheErrorThenTheUsage(string commandLine, string mentions)
    {
        string output = Path.Combine(_dir, "bad-" + Guid.NewGuid().ToString("N") + ".npy");
        AssertMisuse(Args(commandLine, output), mentions);
        Assert.That(File.Exists(output), Is.False, "no output written on error");
    }

    [TestCase("embed --input {in} --output {out} --n-eig 120 --device cpu --sigma 2", "--n-eig 120", "has 120 points", TestName = "Embed_NEigEqualToN")]
    [TestCase("embed --input {in} --output {out} --n-eig 500 --device cpu --sigma 2", "--n-eig 500", "has 120 points", TestName = "Embed_NEigAboveN")]
    [TestCase("embed --input {missing} --output {out} --n-eig 3 --device cpu", "no-such-file.npy", TestName = "Embed_NonexistentInput")]
    [TestCase("embed --input {garbage} --output {out} --n-eig 3 --device cpu", "garbage.npy", TestName = "Embed_MalformedNpy")]
    [TestCase("embed --input {cube} --output {out} --n-eig 3 --device cpu", "2-D", TestName = "Embed_ThreeDimensionalArray")]
    public void BadInput_ReturnsTwo_WithOneErrorLine(string commandLine, params string[] mentions)
    {
        string output = Path.Combine(_dir, "bad-" + Guid.NewGuid().ToString("N") + ".npy");
        var (code, _, stderr) = Run(Args(commandLine, output));
        Assert.That(code, Is.EqualTo(2));
        AssertOneErrorLine(stderr, mentions);
        Assert.That(File.Exists(output), Is.False, "no output written on error");
    }

    /// <summary>The words of <paramref name="commandLine"/> with {in}, {out}, {missing}, {garbage} and {cube} replaced by their paths.</summary>
    private string[] Args(string commandLine, string output) => commandLine.Split(' ').Select(a => a
        .Replace("{in}", _input)
        .Replace("{out}", output)
        .Replace("{missing}", Path.Combine(_dir, "no-such-file.npy"))
        .Replace("{garbage}", Path.Combine(_dir, "garbage.npy"))
        .Replace("{cube}", Path.Combine(_dir, "cube.npy"))).ToArray();

    [Test]
    public void Embed_HugeShapeHeader_ReturnsTwo_WithOneErrorLine()
    {
        string path = Path.Combine(_dir, "huge.npy");
        File.WriteAllBytes(path, NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (300000000,), }", new byte[32]));
        var (code, _, stderr) = Run("embed", "--input", path, "--output", Path.Combine(_dir, "huge-out.npy"), "--n-eig", "3", "--device", "cpu");
        Assert.That(code, Is.EqualTo(2));
        AssertOneErrorLine(stderr, "huge.npy");
    }

    [Test]
    public void Info_ReturnsZero_AndSaysWhatAutoPicks()
    {
        var (code, stdout, stderr) = Run("info");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Is.Empty);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(lines.Count(l => l.StartsWith("Auto picks:", StringComparison.Ordinal)), Is.EqualTo(1), stdout);
    }

    [Test]
    public void NoArguments_ReturnsTwo_AndPrintsUsageOnStderr()
    {
        var (code, stdout, stderr) = Run();
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("usage:"));
        Assert.That(stderr, Does.Contain("ncut embed"));
        Assert.That(stdout, Is.Empty, "a usage mistake prints nothing on stdout");
    }

    [TestCase("help")]
    [TestCase("--help")]
    [TestCase("-h")]
    public void Help_ReturnsZero_AndPrintsUsage(string flag)
    {
        var (code, stdout, stderr) = Run(flag);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("usage:"));
        Assert.That(stderr, Is.Empty);
    }
}
