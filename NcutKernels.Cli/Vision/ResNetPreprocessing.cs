// ResNetPreprocessing: turns a 224×224 crop into ResNet18.onnx's input, as the package's ResNetPreprocess.onnx does.
using SkiaSharp;

namespace NcutKernels.Cli.Vision;

/// <summary>
/// The input preprocessing of the Microsoft.ML.DnnImageFeaturizer.ResNet18 package, done in C#. Its
/// ResNetPreprocess.onnx takes a 1×3×224×224 float tensor of R, G, B planes with values 0–255 (ML.NET's ExtractPixels
/// defaults: no scaling, no offset), splits it into channels, concatenates them back as B, G, R, and subtracts the
/// initializer <c>MeanImage</c>, a per-pixel 1×3×224×224 ImageNet mean image in B, G, R order (averages B 103.06,
/// G 115.90, R 123.15; at pixel (0, 0): 114.4211, 123.8862, 125.1021). There is no division by a standard deviation and
/// no scaling to [0, 1]: input[c, y, x] = pixel(x, y)[BGR channel c] − MeanImage[c, y, x], with the pixel's 8-bit
/// unpremultiplied sRGB values (alpha ignored). The mean image is read from that same ONNX file, so the numbers match.
/// </summary>
internal sealed class ResNetPreprocessing
{
    /// <summary>Name of the mean-image initializer in ResNetPreprocess.onnx.</summary>
    public const string MeanImageName = "MeanImage";

    private const int Size = TileGrid.CropSize, Plane = Size * Size;

    /// <summary>Values per input tensor: 3·224·224.</summary>
    public const int TensorLength = 3 * Plane;

    private readonly float[] _meanImage;

    private ResNetPreprocessing(float[] meanImage) => _meanImage = meanImage;

    /// <summary>Reads the mean image from the package's ResNetPreprocess.onnx at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file holds no 1×3×224×224 float <c>MeanImage</c>.</exception>
    public static ResNetPreprocessing Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"ResNet preprocessing model not found: {path} (it ships beside ncut as DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx)", path);
        var (values, dims) = OnnxModelBytes.FloatInitializer(File.ReadAllBytes(path), MeanImageName);
        if (!dims.SequenceEqual([1L, 3, Size, Size]))
            throw new InvalidDataException($"{path}: {MeanImageName} has shape [{string.Join(", ", dims)}], expected [1, 3, {Size}, {Size}]");
        return new ResNetPreprocessing(values);
    }

    /// <summary>The mean image's value for BGR channel <paramref name="channel"/> (0 = blue) at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public float Mean(int channel, int y, int x) => _meanImage[channel * Plane + y * Size + x];

    /// <summary>
    /// Writes the model input for the 224×224 crop of <paramref name="image"/> whose top-left pixel is
    /// (<paramref name="left"/>, <paramref name="top"/>) into <paramref name="tensor"/> (B, G, R planes, see the class summary).
    /// </summary>
    /// <exception cref="ArgumentException">The crop does not lie inside the image, or <paramref name="tensor"/> is not <see cref="TensorLength"/> long.</exception>
    public void Fill(SKBitmap image, int left, int top, Span<float> tensor)
    {
        if (left < 0 || top < 0 || left + Size > image.Width || top + Size > image.Height)
            throw new ArgumentException($"the {Size}×{Size} crop at ({left}, {top}) does not fit the {image.Width}×{image.Height} image", nameof(image));
        if (tensor.Length != TensorLength)
            throw new ArgumentException($"tensor has {tensor.Length} values, expected {TensorLength}", nameof(tensor));
        using var crop = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var source = image.PeekPixels())
        using (var target = crop.PeekPixels())
            if (source is null || !source.ReadPixels(target, left, top))
                throw new ArgumentException($"could not read the pixels of the {image.Width}×{image.Height} {image.ColorType} image", nameof(image));
        var rgba = crop.GetPixelSpan();
        for (int i = 0; i < Plane; i++)
        {
            tensor[i] = rgba[4 * i + 2] - _meanImage[i];
            tensor[Plane + i] = rgba[4 * i + 1] - _meanImage[Plane + i];
            tensor[2 * Plane + i] = rgba[4 * i] - _meanImage[2 * Plane + i];
        }
    }
}
