// ResNetFeatures: patch features of an image from a stage of the pretrained ImageNet ResNet-18 (ONNX Runtime, CPU).
using Microsoft.ML.OnnxRuntime;
using SkiaSharp;

namespace NcutKernels.Cli.Vision;

/// <summary>
/// Runs the ImageNet ResNet-18 of the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (a CNTK 2.6 export whose only
/// output, <c>Pooling395_Output_0</c>, is the 1×512×1×1 global average of the last stage: features, not class scores)
/// with one stage's activation added as a graph output, and returns that activation as patch features.
/// </summary>
/// <remarks>
/// Images are resized with SkiaSharp's Mitchell cubic filter to the pixel size of a <see cref="TileGrid"/> (aspect
/// kept to within half a crop) and cut into non-overlapping 224×224 crops; each crop is preprocessed as described in
/// <see cref="ResNetPreprocessing"/> and run on its own, and the crops' g×g maps (g = 14 for
/// <see cref="ResNetLayer.Layer3"/>) are laid side by side in the same arrangement, giving a (g·TilesY)×(g·TilesX) grid.
/// Crops do not see each other: features near a crop's edge see that crop's convolution padding (zeros after the mean
/// subtraction, i.e. the mean colour), not the neighbouring crop.
/// </remarks>
internal sealed class ResNetFeatures : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly ResNetPreprocessing _preprocessing;
    private readonly string _inputName, _pooledName;

    private ResNetFeatures(InferenceSession session, string inputName, ResNetPreprocessing preprocessing, ResNetLayer layer, string pooledName)
    {
        _session = session;
        _inputName = inputName;
        _preprocessing = preprocessing;
        Layer = layer;
        _pooledName = pooledName;
    }

    /// <summary>Where the model ships: DnnImageModels/ResNet18Onnx/ResNet18.onnx beside the ncut binary.</summary>
    public static string DefaultModelPath => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Where the preprocessing model (mean image) ships: DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx beside ncut.</summary>
    public static string DefaultPreprocessingPath => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>The stage whose activation <see cref="Extract(SKBitmap, int?)"/> returns.</summary>
    public ResNetLayer Layer { get; }

    /// <summary>Feature channels per patch.</summary>
    public int Channels => Layer.Channels();

    /// <summary>
    /// Loads ResNet18.onnx from <paramref name="modelPath"/> (default <see cref="DefaultModelPath"/>), adds the output of
    /// <paramref name="layer"/> to its graph in memory, and reads the mean image from <paramref name="preprocessingPath"/>
    /// (default <see cref="DefaultPreprocessingPath"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not a <see cref="ResNetLayer"/>.</exception>
    /// <exception cref="FileNotFoundException">A model file is missing.</exception>
    /// <exception cref="ArgumentException">The model has no tensor of the layer's name (not the packaged ResNet-18).</exception>
    /// <exception cref="InvalidDataException">A file is not the expected ONNX model.</exception>
    public static ResNetFeatures Load(string? modelPath = null, ResNetLayer layer = ResNetLayer.Layer3, string? preprocessingPath = null)
    {
        string layerOutput = layer.OutputName();
        modelPath ??= DefaultModelPath;
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"ResNet-18 model not found: {modelPath} (it ships beside ncut as DnnImageModels/ResNet18Onnx/ResNet18.onnx)", modelPath);
        var preprocessing = ResNetPreprocessing.Load(preprocessingPath ?? DefaultPreprocessingPath);
        byte[] model = File.ReadAllBytes(modelPath);
        var outputs = OnnxModelBytes.GraphOutputs(model);
        if (outputs.Count != 1)
            throw new InvalidDataException($"{modelPath}: expected the ResNet-18 graph's single pooled output, found {outputs.Count} outputs");
        var session = new InferenceSession(OnnxModelBytes.WithExtraOutputs(model, [layerOutput]));
        var inputs = session.InputMetadata.ToList();
        if (inputs.Count != 1 || !inputs[0].Value.Dimensions.SequenceEqual([1, 3, TileGrid.CropSize, TileGrid.CropSize]))
        {
            session.Dispose();
            throw new InvalidDataException($"{modelPath}: expected one 1×3×224×224 input, found "
                + string.Join(", ", inputs.Select(i => $"'{i.Key}' [{string.Join(", ", i.Value.Dimensions)}]")));
        }
        return new ResNetFeatures(session, inputs[0].Key, preprocessing, layer, outputs[0]);
    }

    /// <summary>
    /// Patch features of <paramref name="image"/>: resized and tiled into a <see cref="TileGrid"/> with
    /// <paramref name="shortSideTiles"/> crops along its shorter side (default
    /// <see cref="TileGrid.DefaultShortSideTiles"/>), the layer's maps stitched into one grid (see the remarks).
    /// </summary>
    public FeatureMap Extract(SKBitmap image, int? shortSideTiles = null)
    {
        var grid = TileGrid.For(image.Width, image.Height, shortSideTiles ?? TileGrid.DefaultShortSideTiles(image.Width, image.Height));
        using var resized = Resize(image, grid.Width, grid.Height);
        int g = Layer.GridSize(), c = Channels, width = g * grid.TilesX;
        var features = new float[g * grid.TilesY * width, c];
        for (int ty = 0; ty < grid.TilesY; ty++)
            for (int tx = 0; tx < grid.TilesX; tx++)
            {
                var map = Run(resized, tx * TileGrid.CropSize, ty * TileGrid.CropSize, Layer.OutputName())[0];
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < g; y++)
                        for (int x = 0; x < g; x++)
                            features[(ty * g + y) * width + tx * g + x, ch] = map[(ch * g + y) * g + x];
            }
        return new FeatureMap(features, g * grid.TilesY, width);
    }

    /// <summary><see cref="Extract(SKBitmap, int?)"/> of the image file at <paramref name="imagePath"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="imagePath"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode, or larger than <see cref="ImageFile"/>'s limits.</exception>
    public FeatureMap Extract(string imagePath, int? shortSideTiles = null)
    {
        using var image = ImageFile.Decode(imagePath);
        return Extract(image, shortSideTiles);
    }

    /// <summary>
    /// The model's own output for <paramref name="image"/> resized to one 224×224 crop: the 512 channel means of the last
    /// stage (<c>Pooling395_Output_0</c>, unchanged by the added output).
    /// </summary>
    public float[] Pooled(SKBitmap image)
    {
        using var resized = Resize(image, TileGrid.CropSize, TileGrid.CropSize);
        return Run(resized, 0, 0, _pooledName)[0];
    }

    /// <summary>
    /// Runs the model on the 224×224 crop of <paramref name="image"/> at (left, top) for the named outputs only (the layer's
    /// C×g×g map, the pooled output): ONNX Runtime computes just the nodes those outputs need, so a layer-3 map skips layer 4.
    /// </summary>
    internal float[][] Run(SKBitmap image, int left, int top, params string[] outputNames)
    {
        var input = new float[ResNetPreprocessing.TensorLength];
        _preprocessing.Fill(image, left, top, input);
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 3, TileGrid.CropSize, TileGrid.CropSize]);
        using var outputs = _session.Run(_runOptions, [_inputName], [inputValue], outputNames);
        return outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }

    /// <summary>
    /// <paramref name="image"/> at <paramref name="width"/>×<paramref name="height"/> (Mitchell cubic), or a copy when it
    /// already has that size, so an exact-size crop keeps its pixels.
    /// </summary>
    internal static SKBitmap Resize(SKBitmap image, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var resized = image.Width == width && image.Height == height
            ? image.Copy(SKColorType.Rgba8888)
            : image.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell));
        return resized ?? throw new ArgumentException($"could not resize the {image.Width}×{image.Height} {image.ColorType} image to {width}×{height}", nameof(image));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
