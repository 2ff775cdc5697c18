// OnnxPreprocessing: how an image becomes the float32 input of an ONNX vision model (size, channel order, pixel range, mean and std).
using SkiaSharp;

namespace NcutKernels.Cli.Vision;

/// <summary>The order in which a model takes the colour planes of its input.</summary>
internal enum ChannelOrder
{
    /// <summary>Red, green, blue (torchvision, timm, DINO and most PyTorch exports).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe and OpenCV-trained models).</summary>
    Bgr,
}

/// <summary>
/// The input preprocessing of an ONNX vision model given with <c>--onnx</c>: the image is resized to the model's input
/// size, and input plane c at (y, x) is (pixel / s − Mean[c]) / Std[c], where pixel is the 8-bit value of the c-th colour
/// in <see cref="Order"/>, s = 255 / <see cref="PixelRange"/> (pixels in [0, 1] for range 1, in [0, 255] for range 255), and
/// Mean and Std are per input plane, in the order the model takes them.
/// </summary>
/// <param name="InputSize">Side of the square the image is resized to (--input-size); null: the model's fixed input size, else <see cref="DefaultInputSize"/>.</param>
/// <param name="Mean">Per input plane, subtracted after the pixel scaling (3 values).</param>
/// <param name="Std">Per input plane, divided by after the mean (3 values, each &gt; 0).</param>
/// <param name="Order">The colour of each input plane.</param>
/// <param name="PixelRange">1 or 255: the range pixels are scaled to before the mean and std.</param>
internal sealed record OnnxPreprocessing(int? InputSize, float[] Mean, float[] Std, ChannelOrder Order, int PixelRange)
{
    /// <summary>The input side when neither --input-size nor the model fixes it.</summary>
    public const int DefaultInputSize = 224;

    /// <summary>The largest --input-size taken (a 3 × 4096 × 4096 float32 input is 192 MiB).</summary>
    public const int MaxInputSize = 4096;

    /// <summary>The ImageNet channel means in RGB order, for pixels in [0, 1].</summary>
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];

    /// <summary>The ImageNet channel standard deviations in RGB order, for pixels in [0, 1].</summary>
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Writes the model input for <paramref name="image"/> into <paramref name="tensor"/> (3 planes of
    /// <paramref name="height"/>×<paramref name="width"/>, C order): the image is resized to that size (Mitchell cubic, as
    /// for ResNet-18) and mapped as the class summary says.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="tensor"/> is not 3·height·width long, or the image cannot be resized.</exception>
    public void Fill(SKBitmap image, int height, int width, Span<float> tensor)
    {
        int plane = height * width;
        if (tensor.Length != 3 * plane)
            throw new ArgumentException($"tensor has {tensor.Length} values, a 3 × {height} × {width} input needs {3 * plane}", nameof(tensor));
        using var resized = ResNetFeatures.Resize(image, width, height);
        var rgba = resized.GetPixelSpan();
        float scale = PixelRange / 255f;
        for (int c = 0; c < 3; c++)
        {
            int colour = Order == ChannelOrder.Rgb ? c : 2 - c;
            float mean = Mean[c], std = Std[c];
            var target = tensor.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
                target[i] = (rgba[4 * i + colour] * scale - mean) / std;
        }
    }
}
