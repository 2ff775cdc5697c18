// TraceFeaturesTests: `ncut trace --features F.npy` end to end on a small B × H × W × C tensor (float32 and float64, with and without images) and its bad input.
using System.Globalization;
using System.Text.Json;
using NcutKernels.Cli;
using NcutKernels.Tests.IO;
using NUnit.Framework;
using SkiaSharp;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class TraceFeaturesTests
{
    private const int Items = 2, Side = 6, Channels = 16;
    private static readonly string[] PictureKinds = ["segments", "channels", "eigenvectors"];
    private string _dir = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _dir = TempFolder.Create("ncut-trace-features-");
        var values = Tensor();
        WriteNpy(P("f32.npy"), "<f4", [Items, Side, Side, Channels], NpyBytes.Bytes(values));
        WriteNpy(P("f64.npy"), "<f8", [Items, Side, Side, Channels], NpyBytes.Bytes(values.Select(v => (double)v).ToArray()));
        var nan = (float[])values.Clone();
        nan[((1 * Side + 2) * Side + 3) * Channels + 5] = float.NaN;
        WriteNpy(P("nan.npy"), "<f4", [Items, Side, Side, Channels], NpyBytes.Bytes(nan));
        WriteNpy(P("matrix.npy"), "<f4", [Items * Side * Side, Channels], NpyBytes.Bytes(values));
        WriteNpy(P("empty.npy"), "<f4", [Items, 0, Side, Channels], []);
        WriteNpy(P("one-row.npy"), "<f4", [1, 1, 1, Channels], NpyBytes.Bytes(new float[Channels]));
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>Four quadrants per item, each lifting its own group of channels, plus seeded noise: clear segments.</summary>
    private static float[] Tensor()
    {
        var random = new Random(7);
        var x = new float[Items * Side * Side * Channels];
        for (int b = 0; b < Items; b++)
            for (int y = 0; y < Side; y++)
                for (int w = 0; w < Side; w++)
                {
                    int quadrant = (y < Side / 2 ? 0 : 2) + (w < Side / 2 ? 0 : 1);
                    for (int c = 0; c < Channels; c++)
                        x[((b * Side + y) * Side + w) * Channels + c] = (c % 4 == quadrant ? 3f : 0f) + 0.3f * (float)random.NextDouble();
                }
        return x;
    }

    private static void WriteNpy(string path, string descr, int[] shape, byte[] payload) =>
        File.WriteAllBytes(path, NpyBytes.Build($"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}), }}", payload));

    /// <summary>Checks the tables of a trace of <paramref name="items"/> 6 × 6 grids; returns trace.json's root.</summary>
    private static JsonElement AssertTables(string outDir, int clusters, IReadOnlyList<string> names)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "trace.json")));
        var root = json.RootElement.Clone();
        var images = root.GetProperty("images").EnumerateArray().ToArray();
        Assert.That(images.Select(i => i.GetProperty("path").GetString()), Is.EqualTo(names));
        Assert.That(root.GetProperty("layer").GetString(), Does.StartWith("features "), "the features' origin, not a ResNet stage");
        Assert.That(images.Select(i => (i.GetProperty("grid_height").GetInt32(), i.GetProperty("grid_width").GetInt32())), Is.All.EqualTo((Side, Side)));
        var found = root.GetProperty("clusters").EnumerateArray().ToArray();
        Assert.That(found, Has.Length.InRange(1, clusters));
        Assert.That(found.Sum(c => c.GetProperty("patches").GetInt32()), Is.EqualTo(Items * Side * Side), "every row in one cluster");
        var csv = File.ReadAllLines(Path.Combine(outDir, "channels.csv"));
        Assert.That(csv, Has.Length.EqualTo(1 + found.Length * Channels), "every channel of every cluster");
        Assert.That(csv.Skip(1).Select(l => int.Parse(l.Split(',')[3], CultureInfo.InvariantCulture)).Distinct().Count(), Is.EqualTo(Channels));
        return root;
    }

    [Test]
    public void Float32_WithoutImages_DrawsOnTheGrid_AndNamesTheItems()
    {
        string outDir = P("f32-out");
        var (code, stdout, stderr) = Run("trace", "--features", P("f32.npy"), "--clusters", "3", "--n-eig", "4", "--top", "3", "--device", "cpu", "--out", outDir);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.Contain("trace: features f32.npy: 2 items × 6×6 grid × 16 channels, float32, no images"));
        var root = AssertTables(outDir, 3, ["item0", "item1"]);
        Assert.That(root.GetProperty("eigenvalues").GetArrayLength(), Is.EqualTo(4));
        foreach (var item in new[] { "item0", "item1" })
            foreach (var kind in PictureKinds)
                Assert.That(File.Exists(Path.Combine(outDir, $"{item}-{kind}.png")), Is.True, $"{item}-{kind}.png");
        using var segments = SKBitmap.Decode(Path.Combine(outDir, "item0-segments.png"));
        Assert.That((segments.Width, segments.Height), Is.EqualTo((258, 258)), "the 6 × 6 grid at 43 pixels a cell");
    }

    [Test]
    public void Float64_OnTheCpu_StaysFloat64()
    {
        string outDir = P("f64-out");
        var (code, stdout, stderr) = Run("trace", "--features", P("f64.npy"), "--clusters", "3", "--n-eig", "4", "--top", "3", "--device", "cpu", "--out", outDir);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        Assert.That(stdout, Does.Contain("16 channels, float64, no images"));
        Assert.That(stdout, Does.Not.Contain("computed in float32"));
        AssertTables(outDir, 3, ["item0", "item1"]);
    }

    [Test]
    public void WithOneImagePerItem_DrawsOnTheImages()
    {
        string outDir = P("images-out");
        string cat = Path.Combine(AppContext.BaseDirectory, "ReferenceData", "images", "cat.jpg");
        var (code, _, stderr) = Run("trace", "--features", P("f32.npy"), "--image", DemoImage, "--image", cat, "--clusters", "3", "--n-eig", "4",
            "--device", "cpu", "--out", outDir);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        AssertTables(outDir, 3, [DemoImage, cat]);
        using var photo = SKBitmap.Decode(DemoImage);
        using var segments = SKBitmap.Decode(Path.Combine(outDir, "demo-segments.png"));
        Assert.That((segments.Width, segments.Height), Is.EqualTo((photo.Width, photo.Height)), "segments drawn over the photo");
        Assert.That(File.Exists(Path.Combine(outDir, "cat-channels.png")), Is.True);
    }

    [TestCase("--features {f32} --layer layer2", "--layer")]
    [TestCase("--features {f32} --tiles 2", "--tiles")]
    [TestCase("--features {f32} --model {missing}", "--model")]
    [TestCase("--features {f32} --onnx {missing}", "--features", "--onnx")]
    [TestCase("--features {f32} --mean 1,2,3", "--mean")]
    public void Misuse_ReturnsTwo_WithTheErrorNamingIt_ThenTheUsage(string options, params string[] mentions)
    {
        string outDir = P("bad-" + Guid.NewGuid().ToString("N"));
        AssertMisuse(TraceArgs(options, outDir), mentions);
        Assert.That(Directory.Exists(outDir), Is.False, "no output folder on error");
    }

    [TestCase("--features {f32} --image {demo}", "--image", "1 image given", "2 items")]
    [TestCase("--features {f32} --image {demo} --image {demo} --image {demo}", "--image", "3 images given", "2 items")]
    [TestCase("--features {matrix}", "--features", "4-D", "(72, 16)")]
    [TestCase("--features {nan}", "--features", "NaN", "item 1, grid row 2, column 3, channel 5")]
    [TestCase("--features {empty}", "--features", "(2, 0, 6, 16)", "at least 1")]
    [TestCase("--features {one-row}", "--features", "at least 2")]
    [TestCase("--features {missing}", "--features", "no-such.npy")]
    [TestCase("--features {f32} --n-eig 80", "--n-eig", "72")]
    public void BadInput_ReturnsTwo_WithOneErrorLineNamingIt(string options, params string[] mentions)
    {
        string outDir = P("bad-" + Guid.NewGuid().ToString("N"));
        AssertRefused(TraceArgs(options, outDir), outDir, mentions);
    }

    /// <summary>`trace` with <paramref name="options"/> (the {placeholders} replaced by their paths), on the CPU, into <paramref name="outDir"/>.</summary>
    private string[] TraceArgs(string options, string outDir) => new[] { "trace" }.Concat(options.Split(' ').Select(a => a
            .Replace("{f32}", P("f32.npy")).Replace("{matrix}", P("matrix.npy")).Replace("{nan}", P("nan.npy"))
            .Replace("{empty}", P("empty.npy")).Replace("{one-row}", P("one-row.npy")).Replace("{int64}", P("int64.npy")).Replace("{missing}", P("no-such.npy"))
            .Replace("{demo}", DemoImage)))
        .Concat(["--device", "cpu", "--out", outDir]).ToArray();
}
