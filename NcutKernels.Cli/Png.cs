// Png: the cluster palette, and writing bitmaps as PNG (SkiaSharp).
using SkiaSharp;

namespace NcutKernels.Cli;

internal static class Png
{
    private static readonly SKColor[] Palette =
    [
        new(230, 25, 75), new(60, 180, 75), new(255, 225, 25), new(0, 130, 200), new(245, 130, 48), new(145, 30, 180),
        new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212), new(0, 128, 128), new(170, 110, 40),
    ];

    /// <summary>The display colour of cluster <paramref name="cluster"/> (12 colours, repeating).</summary>
    public static SKColor Colour(int cluster) => Palette[cluster % Palette.Length];

    /// <summary>Writes <paramref name="bmp"/> enlarged <paramref name="upscale"/>× (nearest neighbour) as PNG to <paramref name="stream"/>.</summary>
    public static void Save(SKBitmap bmp, Stream stream, int upscale)
    {
        using var big = bmp.Resize(new SKImageInfo(bmp.Width * upscale, bmp.Height * upscale), new SKSamplingOptions(SKFilterMode.Nearest))
            ?? throw new IOException($"could not scale a {bmp.Width}×{bmp.Height} image {upscale}×");
        using var image = SKImage.FromBitmap(big);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"could not encode a {big.Width}×{big.Height} image as PNG");
        data.SaveTo(stream);
    }
}
