// TraceOutputTests: `ncut trace` refuses images that declare a huge size before decoding them, checks --out before any work, and moves its files in all at once.
using NcutKernels.Cli;
using NUnit.Framework;
using SkiaSharp;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class TraceOutputTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = TempFolder.Create("ncut-trace-outputs-");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string WritePng(string name, int width, int height, int rows)
    {
        File.WriteAllBytes(P(name), TestPng.Create(width, height, rows));
        return P(name);
    }

    [Test]
    public void TestPng_Crc_MatchesTheStandardCheckValue()
    {
        // The CRC-32 check value of the ASCII digits "123456789" (ISO 3309 / ITU-T V.42).
        Assert.That(TestPng.Crc("123456789"u8), Is.EqualTo(0xCBF43926u));
    }

    [Test]
    public void SmallValidPng_IsCheckedAndDecoded()
    {
        string path = WritePng("small.png", 5, 3, rows: 3);
        Assert.That(ImageFile.Check(path), Is.EqualTo((5, 3)));
        using var bitmap = ImageFile.Decode(path);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((5, 3)));
        Assert.That(bitmap.GetPixel(4, 2), Is.EqualTo(new SKColor(128, 128, 128)));
    }

    [TestCase(100000, 100000, "pixels a side")]
    [TestCase(ImageFile.MaxSide + 1, 8, "pixels a side")]
    [TestCase(8, ImageFile.MaxSide + 1, "pixels a side")]
    [TestCase(10000, 10000, "cannot be decoded at a smaller scale")] // PNG has no reduced-scale decoding
    public void DeclaredSizeAboveTheLimits_IsRefusedWithoutDecoding(int width, int height, string says)
    {
        string path = WritePng($"huge-{width}x{height}.png", width, height, rows: 1);
        Assert.That(() => ImageFile.Check(path), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contains($"declares {width} × {height} pixels").And.Message.Contains(says));
        Assert.That(() => ImageFile.Decode(path), Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void JpegAboveThePixelLimit_IsDecodedAtAReducedScale()
    {
        // An 800 × 600 JPEG against a limit of 100000 pixels: decoded at the largest scale the codec offers within it.
        string path = P("big.jpg");
        using (var source = new SKBitmap(800, 600))
        {
            using (var canvas = new SKCanvas(source))
            {
                canvas.Clear(new SKColor(40, 120, 200));
                using var paint = new SKPaint { Color = SKColors.Yellow };
                canvas.DrawRect(0, 0, 400, 300, paint);
            }
            using var data = source.Encode(SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(path, data.ToArray());
        }
        var (w, h) = ImageFile.Check(path, 100_000);
        Assert.That((long)w * h, Is.LessThanOrEqualTo(100_000));
        Assert.That(w * 3, Is.EqualTo(h * 4).Within(4), "the aspect is kept");
        Assert.That(w, Is.GreaterThanOrEqualTo(800 / 8), "no smaller than the codec's smallest scale");
        using var bitmap = ImageFile.Decode(path, 100_000);
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((w, h)));
        var corner = bitmap.GetPixel(w / 8, h / 8);
        Assert.That(corner.Red, Is.GreaterThan(200), "the decoded pixels are the image's (yellow quarter)");
        Assert.That(corner.Blue, Is.LessThan(80));
        Assert.That(ImageFile.Check(path), Is.EqualTo((800, 600)), "within the default limit it decodes at full size");
    }

    [Test]
    public void Trace_ImageDeclaring100000x100000Pixels_IsRefusedBeforeAnyWork()
    {
        string huge = WritePng("huge.png", 100000, 100000, rows: 1);
        var (code, stdout, stderr) = Run("trace", "--image", huge, "--out", P("out"), "--device", "cpu");
        Assert.That(code, Is.EqualTo(ExitCode.BadInput));
        AssertOneErrorLine(stderr, "--image", "huge.png", "100000 × 100000");
        Assert.That(stdout, Is.Empty, "refused before the device or the model is loaded");
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "huge.png" }), "no output folder");
    }

    [TestCase("not-an-image.png", "not a readable image")]
    [TestCase("folder.png", "is a folder")]
    public void Trace_ImageThatIsNotAnImage_IsRefused(string name, string says)
    {
        if (name == "folder.png")
            Directory.CreateDirectory(P(name));
        else
            File.WriteAllText(P(name), "plain text");
        var (code, _, stderr) = Run("trace", "--image", P(name), "--out", P("out"));
        Assert.That(code, Is.EqualTo(ExitCode.BadInput));
        AssertOneErrorLine(stderr, "--image", says);
    }

    [Test]
    public void Trace_OutInAMissingFolder_IsRefusedBeforeAnyWork()
    {
        var (code, stdout, stderr) = Run("trace", "--image", DemoImage, "--out", Path.Combine(_dir, "missing", "out"), "--device", "cpu");
        Assert.That(code, Is.EqualTo(ExitCode.BadInput));
        AssertOneErrorLine(stderr, "--out", "does not exist");
        Assert.That(stdout, Is.Empty);
        Assert.That(TempFolder.Entries(_dir), Is.Empty);
    }

    [Test]
    public void Trace_OutThatIsAFile_IsRefused()
    {
        File.WriteAllText(P("out"), "a file");
        var (code, _, stderr) = Run("trace", "--image", DemoImage, "--out", P("out"), "--device", "cpu");
        Assert.That(code, Is.EqualTo(ExitCode.BadInput));
        AssertOneErrorLine(stderr, "--out", "is a file");
        Assert.That(File.ReadAllText(P("out")), Is.EqualTo("a file"));
    }

    [Test]
    public void Trace_OutWhereAnOutputNameIsAFolder_IsRefusedBeforeAnyWork()
    {
        Directory.CreateDirectory(Path.Combine(P("out"), "trace.json"));
        var (code, stdout, stderr) = Run("trace", "--image", DemoImage, "--out", P("out"), "--device", "cpu");
        Assert.That(code, Is.EqualTo(ExitCode.BadInput));
        AssertOneErrorLine(stderr, "--out", "trace.json", "is a folder");
        Assert.That(stdout, Is.Empty);
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "out", Path.Combine("out", "trace.json") }), "nothing staged is left behind");
    }

    [Test]
    public void Trace_FailureAfterTheWorkStarted_LeavesNoOutputFolder()
    {
        // A model file that is not ONNX: the failure comes after the device is created, before any picture exists.
        File.WriteAllBytes(P("model.onnx"), [0x08, 0x07, 0xFF, 0xFF, 0xFF]);
        var (code, stdout, stderr) = Run("trace", "--image", DemoImage, "--out", P("out"), "--device", "cpu", "--model", P("model.onnx"));
        Assert.That(code, Is.Not.EqualTo(ExitCode.Success));
        AssertOneErrorLine(stderr);
        Assert.That(stdout, Does.Contain("device:"), "sanity: the work had started");
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(new[] { "model.onnx" }), "no output folder, no staging folder");
    }

    [Test]
    public void Trace_IntoAnExistingFolder_MovesTheSetIn_AndKeepsOtherFiles()
    {
        Directory.CreateDirectory(P("out"));
        File.WriteAllText(Path.Combine(P("out"), "notes.txt"), "mine");
        var (code, stdout, stderr) = Run("trace", "--image", DemoImage, "--tiles", "1", "--clusters", "2", "--n-eig", "3", "--top", "2",
            "--device", "cpu", "--out", P("out"));
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        var expected = new[] { "channels.csv", "demo-channels.png", "demo-eigenvectors.png", "demo-segments.png", "notes.txt", "report.html", "trace.json" }
            .Select(n => Path.Combine("out", n)).Prepend("out").Order(StringComparer.Ordinal);
        Assert.That(TempFolder.Entries(_dir), Is.EqualTo(expected), "the set and the old file, no staging folder");
        Assert.That(File.ReadAllText(Path.Combine(P("out"), "notes.txt")), Is.EqualTo("mine"));
        Assert.That(stdout, Does.Contain($"trace: wrote demo-segments.png, demo-channels.png, demo-eigenvectors.png, channels.csv, trace.json, report.html to {P("out")}"));
    }
}
