// Png: renders eigenvectors and segmentations to bitmaps and writes them as PNG (SkiaSharp).
using SkiaSharp;

namespace NcutKernels.Cli;

internal static class Png
{
    private static readonly SKColor[] Palette =
    [
        new(230, 25, 75), new(60, 180, 75), new(255, 225, 25), new(0, 130, 200), new(245, 130, 48), new(145, 30, 180),
        new(70, 240, 240), new(240, 50, 230), new(210, 245, 60), new(250, 190, 212), new(0, 128, 128), new(170, 110, 40),
    ];

    /// <summary>Writes <paramref name="bmp"/> enlarged <paramref name="upscale"/>× (nearest neighbour) as PNG.</summary>
    public static void Save(SKBitmap bmp, string path, int upscale)
    {
        using var big = bmp.Resize(new SKImageInfo(bmp.Width * upscale, bmp.Height * upscale), new SKSamplingOptions(SKFilterMode.Nearest))
            ?? throw new IOException($"could not scale image for {path}");
        using var image = SKImage.FromBitmap(big);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var f = File.Create(path);
        data.SaveTo(f);
    }

    /// <summary>Eigenvectors 2, 3, 4 (the first is ∝ √degree) min–max scaled into R, G, B.</summary>
    public static SKBitmap EigenvectorColours(float[,] u, int w, int h)
    {
        int k = u.GetLength(1);
        var bmp = new SKBitmap(w, h);
        var channels = new float[3][];
        for (int c = 0; c < 3; c++)
        {
            int col = Math.Min(c + 1, k - 1);
            var v = Enumerable.Range(0, w * h).Select(i => u[i, col]).ToArray();
            float lo = v.Min(), hi = v.Max();
            channels[c] = v.Select(t => hi > lo ? (t - lo) / (hi - lo) : 0.5f).ToArray();
        }
        for (int i = 0; i < w * h; i++)
            bmp.SetPixel(i % w, i / w, new SKColor((byte)(255 * channels[0][i]), (byte)(255 * channels[1][i]), (byte)(255 * channels[2][i])));
        return bmp;
    }

    /// <summary>Each pixel blended 50/50 between the photo and its cluster's colour.</summary>
    public static SKBitmap Overlay(SKBitmap photo, int[] labels)
    {
        var bmp = new SKBitmap(photo.Width, photo.Height);
        for (int y = 0; y < photo.Height; y++)
            for (int x = 0; x < photo.Width; x++)
            {
                var p = photo.GetPixel(x, y);
                var c = Palette[labels[y * photo.Width + x] % Palette.Length];
                bmp.SetPixel(x, y, new SKColor((byte)((p.Red + c.Red) / 2), (byte)((p.Green + c.Green) / 2), (byte)((p.Blue + c.Blue) / 2)));
            }
        return bmp;
    }
}
