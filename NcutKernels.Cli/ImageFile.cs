// ImageFile: opens an image for decoding only after checking that it is a readable image whose declared size is within ncut's limits.
using System.Globalization;
using SkiaSharp;

namespace NcutKernels.Cli;

/// <summary>
/// Checks and decodes image files. The size an image declares in its header is checked with <see cref="SKCodec"/> before
/// any pixels are decoded, so a file that claims, say, 100000 × 100000 pixels is refused instead of exhausting memory.
/// </summary>
internal static class ImageFile
{
    /// <summary>The most pixels per side decoded (features use 224-pixel crops; larger photos only cost memory).</summary>
    public const int MaxSide = 16384;

    /// <summary>The most pixels decoded in all (64 megapixels: 256 MB as 32-bit pixels, held a few times over while tracing).</summary>
    public const long MaxPixels = 64_000_000;

    /// <summary>Checks <paramref name="path"/> without decoding it; returns the declared width and height.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">A folder, not an image SkiaSharp reads, or larger than the limits.</exception>
    public static (int Width, int Height) Check(string path)
    {
        using var codec = Open(path);
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Decodes <paramref name="path"/> after the checks of <see cref="Check"/>.</summary>
    /// <inheritdoc cref="Check" path="/exception"/>
    public static SKBitmap Decode(string path)
    {
        using var codec = Open(path);
        return SKBitmap.Decode(codec) ?? throw new InvalidDataException($"{path}: the image data could not be decoded");
    }

    private static SKCodec Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new InvalidDataException($"{path}: is a folder, not an image");
        if (!File.Exists(path))
            throw new FileNotFoundException($"image not found: {path}", path);
        var codec = SKCodec.Create(path, out var result)
            ?? throw new InvalidDataException($"{path}: not a readable image ({result})");
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (w <= 0 || h <= 0 || w > MaxSide || h > MaxSide || (long)w * h > MaxPixels)
        {
            codec.Dispose();
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: declares {w} × {h} pixels; ncut decodes images of at most {MaxSide} pixels a side and {MaxPixels / 1_000_000} megapixels (scale it down first)"));
        }
        return codec;
    }
}
