// TraceCommandTests: `ncut trace` and `ncut demo` end to end on small settings (PNGs, CSV, JSON, stdout table) and their bad input.
using System.Globalization;
using System.Text.Json;
using NcutKernels.Cli;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class TraceCommandTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private string _dir = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _dir = TempFolder.Create("ncut-trace-tests-");
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static void AssertPng(string path)
    {
        Assert.That(File.Exists(path), Is.True, path);
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Take(PngSignature.Length).ToArray(), Is.EqualTo(PngSignature), $"{path} is a PNG");
    }

    [Test]
    public void Trace_WritesPicturesAndTablesThatAgree()
    {
        string outDir = Path.Combine(_dir, "trace");
        var (code, stdout, stderr) = Run("trace", "--image", DemoImage, "--tiles", "1", "--clusters", "3", "--n-eig", "4", "--top", "3",
            "--device", "cpu", "--out", outDir);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Is.Empty);
        foreach (var suffix in new[] { "segments", "channels", "eigenvectors" })
            AssertPng(Path.Combine(outDir, $"demo-{suffix}.png"));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "trace.json")));
        var clusters = json.RootElement.GetProperty("clusters").EnumerateArray().ToArray();
        Assert.That(clusters, Is.Not.Empty);
        Assert.That(json.RootElement.GetProperty("eigenvalues").GetArrayLength(), Is.EqualTo(4));
        int patches = json.RootElement.GetProperty("images")[0].GetProperty("grid_height").GetInt32()
            * json.RootElement.GetProperty("images")[0].GetProperty("grid_width").GetInt32();
        Assert.That(clusters.Sum(c => c.GetProperty("patches").GetInt32()), Is.EqualTo(patches), "every patch in one cluster");

        var csv = File.ReadAllLines(Path.Combine(outDir, "channels.csv"));
        Assert.That(csv[0], Is.EqualTo("cluster,patches,rank,channel,importance,mean_abs_gradient,rank_by_magnitude"));
        Assert.That(csv, Has.Length.EqualTo(1 + clusters.Length * 256), "every channel of every cluster");
        foreach (var c in clusters)
        {
            int id = c.GetProperty("cluster").GetInt32();
            var top = c.GetProperty("by_importance").EnumerateArray().ToArray();
            Assert.That(top, Has.Length.EqualTo(3));
            var rows = csv.Skip(1).Select(l => l.Split(',')).Where(f => f[0] == id.ToString(CultureInfo.InvariantCulture)).ToArray();
            Assert.That(rows[0][3], Is.EqualTo(top[0].GetProperty("channel").GetInt32().ToString(CultureInfo.InvariantCulture)));
            var importance = rows.Select(f => double.Parse(f[4], CultureInfo.InvariantCulture)).ToArray();
            Assert.That(importance, Is.Ordered.Descending, $"cluster {id} ranked by importance");
            Assert.That(importance.All(double.IsFinite), Is.True);
            Assert.That(stdout, Does.Contain($"cluster {id}:"));
        }
    }

    [Test]
    public void Trace_TwoImagesWithOneName_WritesBoth()
    {
        string outDir = Path.Combine(_dir, "trace-two");
        var (code, stdout, stderr) = Run("trace", "--image", DemoImage, "--image", DemoImage, "--tiles", "1", "--clusters", "2", "--n-eig", "3",
            "--top", "2", "--device", "cpu", "--out", outDir);
        Assert.That(code, Is.EqualTo(0), stderr);
        AssertPng(Path.Combine(outDir, "0-demo-segments.png"));
        AssertPng(Path.Combine(outDir, "1-demo-segments.png"));
        Assert.That(stdout.Split('\n').Count(l => l.StartsWith("trace: features demo.jpg", StringComparison.Ordinal)), Is.EqualTo(2));
    }

    [Test]
    public void Demo_TracesTheShippedPhotos()
    {
        string outDir = Path.Combine(_dir, "demo");
        var (code, stdout, stderr) = Run("demo", "--tiles", "1", "--clusters", "2", "--n-eig", "3", "--top", "2", "--device", "cpu", "--out", outDir);
        Assert.That(code, Is.EqualTo(0), stderr);
        foreach (var photo in DemoCommand.Photos)
            AssertPng(Path.Combine(outDir, Path.GetFileNameWithoutExtension(photo) + "-segments.png"));
        Assert.That(stdout, Does.Contain("trace: total"));
    }

    [TestCase("trace --out {dir}", "--image")]
    [TestCase("trace --image {demo}", "--out")]
    [TestCase("trace --image {demo} --out {dir} --clusters 5 --n-eig 4", "--clusters")]
    [TestCase("trace --image {demo} --out {dir} --top 0", "--top")]
    [TestCase("trace --image {demo} --out {dir} --tiles 9", "--tiles")]
    [TestCase("trace --image {demo} --out {dir} --layer layer9", "layer9")]
    [TestCase("trace --image {demo} --out {dir} --kway bogus", "bogus")]
    [TestCase("trace --image {demo} --out {dir} --out {dir}", "twice")]
    [TestCase("demo --out {dir} --n-eig 1", "--n-eig")]
    public void Misuse_ReturnsTwo_WithTheErrorThenTheUsage(string commandLine, string mentions)
    {
        string outDir = Path.Combine(_dir, "bad-" + Guid.NewGuid().ToString("N"));
        AssertMisuse(Args(commandLine, outDir), mentions);
        Assert.That(Directory.Exists(outDir), Is.False, "no output folder on error");
    }

    [TestCase("trace --image {missing} --out {dir}", "no-such.jpg")]
    [TestCase("trace --image {demo} --out {dir} --model {missing} --device cpu", "no-such.jpg")]
    public void BadInput_ReturnsTwo_WithOneErrorLine(string commandLine, string mentions)
    {
        string outDir = Path.Combine(_dir, "bad-" + Guid.NewGuid().ToString("N"));
        var (code, _, stderr) = Run(Args(commandLine, outDir));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), stderr);
        Assert.That(stderr, Does.Contain(mentions));
        Assert.That(Directory.Exists(outDir) && Directory.EnumerateFiles(outDir, "*.png").Any(), Is.False, "no pictures written on error");
    }

    /// <summary>The words of <paramref name="commandLine"/> with {demo}, {dir} and {missing} replaced by their paths.</summary>
    private string[] Args(string commandLine, string outDir) => commandLine.Split(' ').Select(a => a
        .Replace("{demo}", DemoImage)
        .Replace("{dir}", outDir)
        .Replace("{missing}", Path.Combine(_dir, "no-such.jpg"))).ToArray();
}
