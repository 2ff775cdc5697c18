// Png: the cluster palette, and encoding bitmaps as PNG (SkiaSharp).
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

    /// <summary>The PNG file of <paramref name="bmp"/>.</summary>
    /// <exception cref="IOException">SkiaSharp could not encode the bitmap.</exception>
    public static byte[] Encode(SKBitmap bmp)
    {
        using var image = SKImage.FromBitmap(bmp);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"could not encode a {bmp.Width}×{bmp.Height} image as PNG");
        return data.ToArray();
    }

    /// <summary>The CSS hex form "#rrggbb" of <paramref name="colour"/>.</summary>
    public static string Hex(SKColor colour) => $"#{colour.Red:x2}{colour.Green:x2}{colour.Blue:x2}";
}
