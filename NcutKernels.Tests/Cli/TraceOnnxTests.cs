// TraceOnnxTests: `ncut trace --onnx MODEL --onnx-output NAME` on the tiny CNN and ViT models (feature maps, tokens with CLS/registers dropped, a node output), the model run against numpy, and bad input.
using System.Text.Json;
using NcutKernels.Cli;
using NcutKernels.Cli.Vision;
using NcutKernels.IO;
using NUnit.Framework;
using SkiaSharp;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class TraceOnnxTests
{
    private static readonly string Cat = Path.Combine(AppContext.BaseDirectory, "ReferenceData", "images", "cat.jpg");
    private string _dir = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp() => _dir = TempFolder.Create("ncut-trace-onnx-");

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static string Model(string name) => Path.Combine(RepositoryFolders.Find("ReferenceData/onnx"), name);

    private static OnnxPreprocessing Defaults => new(null, OnnxPreprocessing.ImageNetMean, OnnxPreprocessing.ImageNetStd, ChannelOrder.Rgb, 1);

    [TestCase("tiny_cnn.onnx", "features", 16, 8, null)]
    [TestCase("tiny_cnn.onnx", "deep", 8, 12, null)]
    [TestCase("tiny_vit.onnx", "tokens", 4, 16, "trace: dropped 1 leading token (CLS/registers), 4×4 grid")]
    [TestCase("tiny_vit.onnx", "tokens_reg", 4, 16, "trace: dropped 5 leading tokens (CLS/registers), 4×4 grid")]
    [TestCase("tiny_vit.onnx", "patch_grid", 4, 16, null)]
    public void Output_IsTracedOnItsGrid(string model, string output, int side, int channels, string? tokenLine)
    {
        string outDir = Path.Combine(_dir, $"{model}-{output}");
        var (code, stdout, stderr) = Run("trace", "--onnx", Model(model), "--onnx-output", output, "--image", DemoImage, "--image", Cat,
            "--clusters", "3", "--n-eig", "4", "--top", "2", "--device", "cpu", "--out", outDir);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        Assert.That(stdout, Does.Contain($"input 'pixels' 1×3×32×32, RGB, pixels in [0, 1]; output '{output}'"), "the model's fixed input size");
        Assert.That(stdout, Does.Contain($"→ {side}×{side} patches × {channels} channels ('{output}')"));
        if (tokenLine is null)
            Assert.That(stdout, Does.Not.Contain("leading token"));
        else
            Assert.That(stdout.Split('\n').Count(l => l.TrimEnd() == tokenLine), Is.EqualTo(1), stdout);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "trace.json")));
        var images = json.RootElement.GetProperty("images").EnumerateArray().ToArray();
        Assert.That(json.RootElement.GetProperty("layer").GetString(), Does.Contain(" output "), "the model output the features came from");
        Assert.That(images.Select(i => (i.GetProperty("grid_height").GetInt32(), i.GetProperty("grid_width").GetInt32())), Is.EqualTo(new[] { (side, side), (side, side) }));
        var clusters = json.RootElement.GetProperty("clusters").EnumerateArray().ToArray();
        Assert.That(clusters.Sum(c => c.GetProperty("patches").GetInt32()), Is.EqualTo(2 * side * side));
        Assert.That(File.ReadAllLines(Path.Combine(outDir, "channels.csv")), Has.Length.EqualTo(1 + clusters.Length * channels));
        foreach (var stem in new[] { "demo", "cat" })
            foreach (var kind in new[] { "segments", "channels", "eigenvectors" })
                Assert.That(File.Exists(Path.Combine(outDir, $"{stem}-{kind}.png")), Is.True, $"{stem}-{kind}.png");
    }

    [TestCase("tiny_cnn.onnx", "features", "tiny_cnn_features.npy")]
    [TestCase("tiny_cnn.onnx", "deep", "tiny_cnn_deep.npy")]
    [TestCase("tiny_vit.onnx", "tokens", "tiny_vit_tokens.npy")]
    [TestCase("tiny_vit.onnx", "tokens_reg", "tiny_vit_tokens_reg.npy")]
    public void ModelRun_OnTheReferenceInputs_MatchesNumpy(string model, string output, string expectedFile)
    {
        var inputs = Npy.Read(Model("tiny_inputs.npy"), Npy.MaxRank);
        var expected = Npy.Read(Model(expectedFile), Npy.MaxRank);
        using var features = OnnxFeatures.Load(Model(model), output, Defaults);
        var (values, shape) = features.Run(inputs.Singles!, inputs.Shape[0]);
        Assert.That(shape, Is.EqualTo(expected.Shape.Select(d => (long)d)));
        Assert.That(values, Is.EqualTo(expected.Singles).Within(1e-5));

        // The grid of item 1 takes its numbers from the output: NCHW maps by (y, x), tokens after the dropped ones row by row.
        var grid = OutputGrid.Of(output, shape, null);
        var map = grid.Map(values, 1);
        for (int y = 0; y < grid.Height; y++)
            for (int x = 0; x < grid.Width; x++)
                for (int c = 0; c < grid.Channels; c++)
                {
                    int p = y * grid.Width + x;
                    float want = grid.IsTokens
                        ? values[(shape[1] + grid.Dropped + p) * grid.Channels + c]
                        : values[((grid.Channels + c) * grid.Height + y) * grid.Width + x];
                    Assert.That(map.Features[p, c], Is.EqualTo(want), $"item 1 ({y}, {x}) channel {c}");
                }
    }

    [TestCase(17, 1, 4)]
    [TestCase(21, 5, 4)]
    [TestCase(16, 0, 4)]
    [TestCase(1, 0, 1)]
    [TestCase(197, 1, 14)]
    [TestCase(261, 5, 16)]
    public void SquareTokens_DropsTheFewestLeadingTokens(int tokens, int dropped, int side)
    {
        Assert.That(OutputGrid.SquareTokens(tokens), Is.EqualTo((dropped, side)));
    }

    [Test]
    public void SquareTokens_WithNoSquareWithin16_IsNull()
    {
        Assert.That(OutputGrid.SquareTokens(99), Is.Null, "99 − r for r ≤ 16 runs from 99 to 83, between 81 and 100");
    }

    [Test]
    public void Preprocessing_MapsPixelsByOrderRangeMeanAndStd()
    {
        using var image = new SKBitmap(new SKImageInfo(2, 1, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        image.SetPixel(0, 0, new SKColor(255, 0, 51));
        image.SetPixel(1, 0, new SKColor(0, 102, 255));
        var rgb = new float[6];
        new OnnxPreprocessing(null, [0.5f, 0, 0], [0.5f, 1, 2], ChannelOrder.Rgb, 1).Fill(image, 1, 2, rgb);
        Assert.That(rgb, Is.EqualTo(new[] { 1f, -1f, 0f, 0.4f, 0.1f, 0.5f }).Within(1e-6));
        var bgr = new float[6];
        new OnnxPreprocessing(null, [0, 0, 100], [1, 1, 1], ChannelOrder.Bgr, 255).Fill(image, 1, 2, bgr);
        Assert.That(bgr, Is.EqualTo(new[] { 51f, 255f, 0f, 102f, 155f, -100f }).Within(1e-4));
    }

    [TestCase("--onnx {cnn} --onnx-output nope --image {demo}", "--onnx-output 'nope'", "features, deep, pooled")]
    [TestCase("--onnx {cnn} --onnx-output pooled --image {demo}", "--onnx-output 'pooled'", "[N, 12]", "rank 2")]
    [TestCase("--onnx {cnn} --onnx-output features --input-size 64 --image {demo}", "--input-size 64", "32×32")]
    [TestCase("--onnx {vit} --onnx-output tokens --drop-tokens 2 --image {demo}", "--drop-tokens 2", "15 tokens")]
    [TestCase("--onnx {cnn} --onnx-output features --drop-tokens 1 --image {demo}", "--drop-tokens", "N × C × h × w")]
    [TestCase("--onnx {garbage} --onnx-output features --image {demo}", "--onnx", "garbage.onnx", "not a model ONNX Runtime can load")]
    [TestCase("--onnx {missing} --onnx-output features --image {demo}", "--onnx", "no-such.onnx")]
    public void BadInput_ReturnsTwo_WithOneErrorLineNamingIt(string options, params string[] mentions)
    {
        File.WriteAllBytes(Path.Combine(_dir, "garbage.onnx"), [0x08, 0x07, 0xFF, 0xFF, 0xFF]);
        string outDir = Path.Combine(_dir, "bad-" + Guid.NewGuid().ToString("N"));
        AssertRefused(TraceArgs(options, outDir), outDir, mentions);
    }

    [TestCase("--onnx {cnn} --image {demo}", "--onnx-output")]
    [TestCase("--onnx {cnn} --onnx-output features", "--image")]
    [TestCase("--onnx {cnn} --onnx-output features --layer layer2 --image {demo}", "--layer", "--onnx")]
    [TestCase("--onnx {cnn} --onnx-output features --model {missing} --image {demo}", "--model", "--onnx")]
    [TestCase("--onnx {cnn} --onnx-output features --pixel-range 7 --image {demo}", "--pixel-range", "7")]
    [TestCase("--onnx {cnn} --onnx-output features --channel-order xyz --image {demo}", "--channel-order", "xyz")]
    [TestCase("--onnx {cnn} --onnx-output features --mean 1,2 --image {demo}", "--mean", "1,2")]
    [TestCase("--onnx {cnn} --onnx-output features --std 1,0,1 --image {demo}", "--std", "1,0,1")]
    [TestCase("--onnx {cnn} --onnx-output features --input-size 0 --image {demo}", "--input-size", "0")]
    [TestCase("--input-size 32 --image {demo}", "--input-size", "--onnx")]
    public void Misuse_ReturnsTwo_WithTheErrorNamingIt_ThenTheUsage(string options, params string[] mentions)
    {
        string outDir = Path.Combine(_dir, "bad-" + Guid.NewGuid().ToString("N"));
        AssertMisuse(TraceArgs(options, outDir), mentions);
        Assert.That(Directory.Exists(outDir), Is.False, "no output folder on error");
    }

    /// <summary>`trace` with <paramref name="options"/> ({cnn}, {vit}, {garbage}, {missing} and {demo} replaced by their paths), on the CPU, into <paramref name="outDir"/>.</summary>
    private string[] TraceArgs(string options, string outDir) => new[] { "trace" }.Concat(options.Split(' ').Select(a => a
            .Replace("{cnn}", Model("tiny_cnn.onnx")).Replace("{vit}", Model("tiny_vit.onnx")).Replace("{garbage}", Path.Combine(_dir, "garbage.onnx"))
            .Replace("{missing}", Path.Combine(_dir, "no-such.onnx")).Replace("{demo}", DemoImage)))
        .Concat(["--device", "cpu", "--out", outDir]).ToArray();
}
