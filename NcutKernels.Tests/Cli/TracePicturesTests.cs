// TracePicturesTests: pictures at a bounded display size (a large photo stays fast, --display-size and its checks), the channel grid's layout, the shipped label font.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.RegularExpressions;
using NcutKernels.Cli;
using NUnit.Framework;
using SkiaSharp;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class TracePicturesTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = TempFolder.Create("ncut-trace-pictures-");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Trace_LargePhoto_DrawsEveryPictureWithinTheDefaultDisplaySize_Quickly()
    {
        string photo = Path.Combine(_dir, "large.jpg");
        File.WriteAllBytes(photo, SyntheticPhoto(4000, 3000));
        string outDir = Path.Combine(_dir, "out");
        var (code, stdout, stderr) = Run("trace", "--image", photo, "--tiles", "1", "--clusters", "2", "--n-eig", "3", "--top", "2", "--device", "cpu", "--out", outDir);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        AssertPicturesWithin(outDir, PictureSize.Default);
        Assert.That(PngSize(Path.Combine(outDir, "large-segments.png")), Is.EqualTo((1024, 768)), "the overlay is the photo scaled to the display size");
        var ms = Regex.Match(stdout, @"trace: pictures in (\d+) ms");
        Assert.That(ms.Success, Is.True, stdout);
        // Drawn at the 12-megapixel photo's own size, the overlay alone took seconds; at 1024 × 768 it takes milliseconds.
        Assert.That(int.Parse(ms.Groups[1].Value), Is.LessThan(4000), "pictures of a 4000 × 3000 photo");
    }

    [Test]
    public void Trace_DisplaySizeOption_BoundsEveryPicture()
    {
        string outDir = Path.Combine(_dir, "out");
        var (code, _, stderr) = Run("trace", "--image", DemoImage, "--tiles", "1", "--clusters", "3", "--n-eig", "4", "--top", "4", "--device", "cpu",
            "--display-size", "96", "--out", outDir);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        AssertPicturesWithin(outDir, 96);
        Assert.That(File.Exists(Path.Combine(outDir, TraceHtml.Name)), Is.True);
    }

    [TestCase("trace", "63")]
    [TestCase("trace", "8193")]
    [TestCase("trace", "big")]
    [TestCase("demo", "0")]
    public void DisplaySize_OutsideItsRange_IsAUsageError(string command, string value)
    {
        string outDir = Path.Combine(_dir, "out");
        var args = command == "trace" ? new[] { "trace", "--image", DemoImage, "--display-size", value, "--out", outDir } : ["demo", "--display-size", value, "--out", outDir];
        AssertMisuse(args, "--display-size", value);
        Assert.That(Directory.Exists(outDir), Is.False);
    }

    [TestCase(42, 28, 7, 4, 1024, 3.0, true)]       // the demo's cat: 3 px per patch, labelled
    [TestCase(42, 28, 7, 4, 8192, 8.0, true)]       // room to spare: the preferred 8 px per patch
    [TestCase(14, 14, 2, 2, 64, 1.0, false)]        // small: 1 px per patch, no room for labels
    [TestCase(14, 14, 65, 100, 64, 0.0, false)]     // 100 clusters × 64 channels in 64 px: a fraction of a pixel per patch
    public void ChannelGridLayout_FitsTheBound(int gw, int gh, int columns, int rows, int bound, double scale, bool labelled)
    {
        var g = ChannelGridLayout.For(gw, gh, columns, rows, bound);
        Assert.That(Math.Max(g.Width, g.Height), Is.LessThanOrEqualTo(bound));
        Assert.That(g.Band > 0, Is.EqualTo(labelled));
        if (scale > 0)
            Assert.That(g.Scale, Is.EqualTo(scale));
        else
            Assert.That(g.Scale, Is.GreaterThan(0).And.LessThan(1));
        var last = g.Cell(rows - 1, columns - 1);
        Assert.That(last.Right, Is.LessThanOrEqualTo(g.Width + 1e-3f));
        Assert.That(last.Bottom, Is.LessThanOrEqualTo(g.Height + 1e-3f));
    }

    [TestCase(12000, 12000, 1024, 1024, 1024)]
    [TestCase(4000, 3000, 1024, 1024, 768)]
    [TestCase(300, 5000, 1024, 61, 1024)]
    [TestCase(673, 448, 1024, 673, 448)]           // smaller than the bound: kept
    [TestCase(20000, 1, 64, 64, 1)]
    public void PictureSize_Fit_ScalesDownToTheBound(int width, int height, int bound, int fitWidth, int fitHeight)
    {
        Assert.That(PictureSize.Fit(width, height, bound), Is.EqualTo((fitWidth, fitHeight)));
    }

    [Test]
    public void SegmentCentres_PickEachClustersMostInteriorPatch()
    {
        var labels = new int[5, 8];
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 8; x++)
                labels[y, x] = x < 5 ? 0 : 3;
        var centres = TraceImages.SegmentCentres(labels);
        Assert.That(centres, Is.EqualTo(new[] { (0, (2, 2)), (3, (1, 6)) }));
    }

    [Test]
    public void LabelFont_ShipsWithItsLicence_AndDrawsGlyphs()
    {
        Assert.That(File.Exists(LabelFont.FilePath), Is.True, LabelFont.FilePath);
        Assert.That(File.ReadAllText(Path.Combine(Path.GetDirectoryName(LabelFont.FilePath)!, "DejaVuSans-LICENSE.txt")), Does.Contain("Bitstream Vera"));
        Assert.That(LabelFont.Typeface.FamilyName, Is.EqualTo("DejaVu Sans"));
        using var bitmap = new SKBitmap(80, 24);
        using (var canvas = new SKCanvas(bitmap))
        using (var font = new SKFont(LabelFont.Typeface, 14))
        using (var paint = new SKPaint { Color = SKColors.White })
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawText("ch 123", 2, 18, SKTextAlign.Left, font, paint);
        }
        Assert.That(bitmap.Pixels.Count(p => p.Red > 128), Is.GreaterThan(40), "the text is drawn");
    }

    /// <summary>Asserts that every PNG in <paramref name="dir"/> is at most <paramref name="bound"/> pixels on its longer side.</summary>
    private static void AssertPicturesWithin(string dir, int bound)
    {
        var pngs = Directory.GetFiles(dir, "*.png");
        Assert.That(pngs, Has.Length.EqualTo(3));
        foreach (var png in pngs)
        {
            var (w, h) = PngSize(png);
            Assert.That(Math.Max(w, h), Is.LessThanOrEqualTo(bound), $"{Path.GetFileName(png)} is {w}×{h}");
        }
    }

    /// <summary>Width and height from a PNG's IHDR chunk.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var header = File.ReadAllBytes(path).AsSpan(16, 8);
        return (BinaryPrimitives.ReadInt32BigEndian(header), BinaryPrimitives.ReadInt32BigEndian(header[4..]));
    }

    /// <summary>A JPEG of <paramref name="width"/> × <paramref name="height"/>: a colour gradient with a few discs and bars on it.</summary>
    private static byte[] SyntheticPhoto(int width, int height)
    {
        var sw = Stopwatch.StartNew();
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), [new SKColor(30, 90, 160), new SKColor(230, 200, 90)], SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { Shader = shader })
            canvas.DrawRect(0, 0, width, height, paint);
        using (var paint = new SKPaint { IsAntialias = true })
        {
            paint.Color = new SKColor(200, 40, 40);
            canvas.DrawCircle(width * 0.3f, height * 0.4f, height * 0.2f, paint);
            paint.Color = new SKColor(20, 140, 60);
            canvas.DrawRect(width * 0.6f, height * 0.1f, width * 0.15f, height * 0.8f, paint);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
        TestContext.Progress.WriteLine($"synthetic {width}×{height} JPEG in {sw.ElapsedMilliseconds} ms");
        return data.ToArray();
    }
}
