// ResNetFeaturesTests: ResNet-18 patch features against direct ONNX Runtime runs of the unmodified package models, tiling, preprocessing, errors.
using Microsoft.ML.OnnxRuntime;
using NcutKernels.Cli.Vision;
using NUnit.Framework;
using SkiaSharp;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class ResNetFeaturesTests
{
    private const int Crop = TileGrid.CropSize, Plane = Crop * Crop;

    private ResNetFeatures _layer3 = null!;
    private ResNetFeatures _layer4 = null!;
    private InferenceSession _plainModel = null!;
    private InferenceSession _packagePreprocessing = null!;
    private SKBitmap _demo = null!;
    private SKBitmap _demoCrop = null!;
    private string _dir = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _layer3 = ResNetFeatures.Load();
        _layer4 = ResNetFeatures.Load(layer: ResNetLayer.Layer4);
        _plainModel = new InferenceSession(ResNetFeatures.DefaultModelPath);
        _packagePreprocessing = new InferenceSession(ResNetFeatures.DefaultPreprocessingPath);
        _demo = SKBitmap.Decode(CliHarness.DemoImage) ?? throw new AssertionException($"cannot decode {CliHarness.DemoImage}");
        _demoCrop = Resized(_demo, Crop, Crop);
        _dir = TempFolder.Create("ncut-resnet-tests-");
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        _layer3.Dispose();
        _layer4.Dispose();
        _plainModel.Dispose();
        _packagePreprocessing.Dispose();
        _demo.Dispose();
        _demoCrop.Dispose();
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static SKBitmap Resized(SKBitmap image, int width, int height) =>
        image.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell))
        ?? throw new AssertionException($"cannot resize to {width}×{height}");

    /// <summary>The package's own pipeline: RGB planes 0–255 (ML.NET ExtractPixels) through ResNetPreprocess.onnx.</summary>
    private float[] PackagePreprocessed(SKBitmap crop)
    {
        var rgb = new float[3 * Plane];
        for (int y = 0; y < Crop; y++)
            for (int x = 0; x < Crop; x++)
            {
                var p = crop.GetPixel(x, y);
                rgb[y * Crop + x] = p.Red;
                rgb[Plane + y * Crop + x] = p.Green;
                rgb[2 * Plane + y * Crop + x] = p.Blue;
            }
        using var input = OrtValue.CreateTensorValueFromMemory(rgb, [1, 3, Crop, Crop]);
        using var runOptions = new RunOptions();
        using var output = _packagePreprocessing.Run(runOptions, ["OriginalInput"], [input], ["PreprocessedInput"]);
        return output[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The unmodified ResNet18.onnx's only output for an already preprocessed input.</summary>
    private float[] PlainPooled(float[] preprocessed)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(preprocessed, [1, 3, Crop, Crop]);
        using var runOptions = new RunOptions();
        using var output = _plainModel.Run(runOptions, ["Input247"], [input], ["Pooling395_Output_0"]);
        return output[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static void AssertClose(float[] actual, float[] expected, double tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{what}: largest difference");
    }

    [Test]
    public void Pooled_EqualsTheUnmodifiedModelAfterThePackagePreprocessing()
    {
        var expected = PlainPooled(PackagePreprocessed(_demoCrop));
        var pooled = _layer3.Pooled(_demoCrop);
        Assert.That(pooled, Has.Length.EqualTo(512));
        Assert.That(expected.Max(), Is.GreaterThan(0.1f), "sanity: the pooled features are not all zero");
        AssertClose(pooled, expected, 1e-6 * expected.Max(x => Math.Abs(x)), "pooled output, edited vs unmodified model");
    }

    [Test]
    public void Layer3_OneCrop_Is14By14By256_FiniteAndNonNegative()
    {
        var map = _layer3.Extract(_demoCrop, shortSideTiles: 1);
        Assert.That((map.Height, map.Width, map.Channels), Is.EqualTo((14, 14, 256)));
        Assert.That(map.Features.GetLength(0), Is.EqualTo(14 * 14));
        var values = map.Features.Cast<float>().ToArray();
        Assert.That(values.All(float.IsFinite), Is.True, "finite");
        Assert.That(values.Min(), Is.GreaterThanOrEqualTo(0f), "after a ReLU");
        Assert.That(values.Count(v => v > 0), Is.GreaterThan(values.Length / 10), "not mostly zero");
    }

    [Test]
    public void Layer4_ChannelMeansOverTheGrid_AreThePooledOutput()
    {
        var map = _layer4.Extract(_demoCrop, shortSideTiles: 1);
        Assert.That((map.Height, map.Width, map.Channels), Is.EqualTo((7, 7, 512)));
        var means = new float[512];
        for (int c = 0; c < 512; c++)
        {
            double sum = 0;
            for (int p = 0; p < 49; p++)
                sum += map.Features[p, c];
            means[c] = (float)(sum / 49);
        }
        var pooled = _layer4.Pooled(_demoCrop);
        AssertClose(means, pooled, 1e-5 * pooled.Max(), "7×7 channel means vs Pooling395_Output_0");
    }

    [Test]
    public void Extract_TiledImage_StitchesEachCropsOwnMap()
    {
        using var big = Resized(_demo, 3 * Crop, 2 * Crop);
        var map = _layer3.Extract(big, shortSideTiles: 2);
        Assert.That((map.Height, map.Width, map.Channels), Is.EqualTo((28, 42, 256)));
        for (int ty = 0; ty < 2; ty++)
            for (int tx = 0; tx < 3; tx++)
            {
                using var crop = new SKBitmap();
                Assert.That(big.ExtractSubset(crop, SKRectI.Create(tx * Crop, ty * Crop, Crop, Crop)), Is.True);
                var single = _layer3.Extract(crop, shortSideTiles: 1);
                double worst = 0;
                for (int y = 0; y < 14; y++)
                    for (int x = 0; x < 14; x++)
                        for (int c = 0; c < 256; c++)
                            worst = Math.Max(worst, Math.Abs(map.Features[(ty * 14 + y) * 42 + tx * 14 + x, c] - single.Features[y * 14 + x, c]));
                Assert.That(worst, Is.LessThanOrEqualTo(1e-6), $"tile ({tx}, {ty})");
            }
    }

    [Test]
    public void Extract_DemoFileAtDefaultTiling_IsTwoCropsSideBySide()
    {
        var map = _layer3.Extract(CliHarness.DemoImage);
        Assert.That((map.Height, map.Width, map.Channels), Is.EqualTo((14, 28, 256)), "128×85: one crop high, 1.51 → 2 crops wide");
    }

    [TestCase(128, 85, 1, 2, 1)]
    [TestCase(120, 85, 1, 1, 1)]
    [TestCase(500, 300, 2, 3, 2)]
    [TestCase(300, 500, 2, 2, 3)]
    [TestCase(448, 448, 2, 2, 2)]
    [TestCase(1000, 100, 1, 10, 1)]
    public void TileGrid_For_RoundsTheLongSideToWholeCrops(int width, int height, int shortSideTiles, int tilesX, int tilesY)
    {
        var grid = TileGrid.For(width, height, shortSideTiles);
        Assert.That((grid.TilesX, grid.TilesY), Is.EqualTo((tilesX, tilesY)));
        Assert.That((grid.Width, grid.Height), Is.EqualTo((tilesX * Crop, tilesY * Crop)));
    }

    [TestCase(85, 1)]
    [TestCase(300, 1)]
    [TestCase(336, 2)]
    [TestCase(600, 3)]
    [TestCase(4000, 3)]
    public void TileGrid_DefaultShortSideTiles_FollowsTheImageUpToThree(int shortSide, int expected) =>
        Assert.That(TileGrid.DefaultShortSideTiles(2 * shortSide, shortSide), Is.EqualTo(expected));

    [TestCase(100, 1)]
    [TestCase(224, 1)]
    [TestCase(448, 2)]
    [TestCase(560, 3)]
    public void TileGrid_ShortSideTilesFor_RoundsToWholeCrops(int resolution, int expected) =>
        Assert.That(TileGrid.ShortSideTilesFor(resolution), Is.EqualTo(expected));

    [Test]
    public void Preprocessing_OnePixel_IsBgrMinusTheMeanImage()
    {
        using var crop = new SKBitmap(new SKImageInfo(Crop, Crop, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        crop.Erase(new SKColor(10, 20, 30));
        crop.SetPixel(0, 0, new SKColor(200, 100, 50));
        var preprocessing = ResNetPreprocessing.Load(ResNetFeatures.DefaultPreprocessingPath);
        var tensor = new float[ResNetPreprocessing.TensorLength];
        preprocessing.Fill(crop, 0, 0, tensor);
        // MeanImage[:, 0, 0] of ResNetPreprocess.onnx, B G R, as printed by onnx.numpy_helper.
        Assert.That(tensor[0], Is.EqualTo(50 - 114.4211f).Within(1e-4), "blue plane first");
        Assert.That(tensor[Plane], Is.EqualTo(100 - 123.8862f).Within(1e-4), "green");
        Assert.That(tensor[2 * Plane], Is.EqualTo(200 - 125.1021f).Within(1e-4), "red plane last");
        Assert.That(tensor[Plane + 5 * Crop + 7], Is.EqualTo(20 - preprocessing.Mean(1, 5, 7)), "green at (x 7, y 5)");
        AssertClose(tensor, PackagePreprocessed(crop), 0, "whole tensor vs ResNetPreprocess.onnx");
    }

    [Test]
    public void Preprocessing_DemoCrop_MatchesThePackageModel()
    {
        var preprocessing = ResNetPreprocessing.Load(ResNetFeatures.DefaultPreprocessingPath);
        var tensor = new float[ResNetPreprocessing.TensorLength];
        preprocessing.Fill(_demoCrop, 0, 0, tensor);
        AssertClose(tensor, PackagePreprocessed(_demoCrop), 0, "C# preprocessing vs ResNetPreprocess.onnx");
    }

    [Test]
    public void Load_MissingModel_NamesThePath()
    {
        string missing = Path.Combine(_dir, "nowhere", "ResNet18.onnx");
        var e = Assert.Throws<FileNotFoundException>(() => ResNetFeatures.Load(missing));
        Assert.That(e!.Message, Does.Contain(missing));
    }

    [Test]
    public void Load_MissingPreprocessingModel_NamesThePath()
    {
        string missing = Path.Combine(_dir, "nowhere", "ResNetPreprocess.onnx");
        var e = Assert.Throws<FileNotFoundException>(() => ResNetFeatures.Load(preprocessingPath: missing));
        Assert.That(e!.Message, Does.Contain(missing));
    }

    [Test]
    public void Load_NotAnOnnxModel_SaysSo()
    {
        string path = Path.Combine(_dir, "not-a-model.onnx");
        File.WriteAllBytes(path, [0x08, 0x03]);
        var e = Assert.Throws<InvalidDataException>(() => ResNetFeatures.Load(path));
        Assert.That(e!.Message, Does.Contain("not an ONNX model"));
    }

    [Test]
    public void Load_UndefinedLayer_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ResNetFeatures.Load(layer: (ResNetLayer)7));
        Assert.That(e!.ParamName, Is.EqualTo("layer"));
        Assert.That(e.Message, Does.Contain("layer3"));
    }

    [Test]
    public void WithExtraOutputs_UnknownTensor_NamesIt()
    {
        byte[] model = File.ReadAllBytes(ResNetFeatures.DefaultPreprocessingPath);
        var e = Assert.Throws<ArgumentException>(() => OnnxModelBytes.WithExtraOutputs(model, ["ReLU999_Output_0"]));
        Assert.That(e!.ParamName, Is.EqualTo("names"));
        Assert.That(e.Message, Does.Contain("'ReLU999_Output_0'"));
    }

    [Test]
    public void WithExtraOutputs_AppendsOnlyNewOutputs_AndKeepsTheRestOfTheBytes()
    {
        byte[] model = File.ReadAllBytes(ResNetFeatures.DefaultPreprocessingPath);
        Assert.That(OnnxModelBytes.GraphOutputs(model), Is.EqualTo(new[] { "PreprocessedInput" }));
        byte[] edited = OnnxModelBytes.WithExtraOutputs(model, ["BGRInput", "PreprocessedInput", "RInp"]);
        Assert.That(OnnxModelBytes.GraphOutputs(edited), Is.EqualTo(new[] { "PreprocessedInput", "BGRInput", "RInp" }));
        int added = ("BGRInput".Length + 4) + ("RInp".Length + 4);
        Assert.That(edited, Has.Length.InRange(model.Length + added, model.Length + added + 4), "only the new entries and a longer length prefix");
        var (mean, dims) = OnnxModelBytes.FloatInitializer(edited, ResNetPreprocessing.MeanImageName);
        Assert.That(dims, Is.EqualTo(new long[] { 1, 3, Crop, Crop }));
        Assert.That(mean[0], Is.EqualTo(114.4211f).Within(1e-4));
        using var session = new InferenceSession(edited);
        Assert.That(session.OutputMetadata.Keys, Is.EquivalentTo(new[] { "PreprocessedInput", "BGRInput", "RInp" }));
    }

    [Test]
    public void Extract_MissingImageFile_NamesThePath()
    {
        string missing = Path.Combine(_dir, "no-such-image.jpg");
        var e = Assert.Throws<FileNotFoundException>(() => _layer3.Extract(missing));
        Assert.That(e!.Message, Does.Contain(missing));
    }
}
