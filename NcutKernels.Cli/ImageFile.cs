// ImageFile: opens an image for decoding only after checking that it is a readable image whose declared size is within ncut's limits.
using System.Globalization;
using SkiaSharp;

namespace NcutKernels.Cli;

/// <summary>
/// Checks and decodes image files. The size an image declares in its header is checked with <see cref="SKCodec"/> before
/// any pixels are decoded, so a file that claims, say, 100000 × 100000 pixels is refused instead of exhausting memory. An image
/// above <see cref="MaxPixels"/> whose format decodes at a reduced scale (JPEG, WebP: 1/2 to 1/8) is decoded at the largest
/// such scale within the limit — a 12000 × 12000 photo as 6000 × 6000 — since every use downscales it anyway (the feature
/// crops to a few hundred pixels, the pictures to the display size); other formats above the limit are refused.
/// </summary>
internal static class ImageFile
{
    /// <summary>The most pixels per side an image may declare (features use 224-pixel crops; larger photos only cost memory).</summary>
    public const int MaxSide = 16384;

    /// <summary>The most pixels decoded in all (64 megapixels: 256 MB as 32-bit pixels, held a few times over while tracing).</summary>
    public const long MaxPixels = 64_000_000;

    /// <summary>Checks <paramref name="path"/> without decoding it; returns the size it will be decoded at.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">A folder, not an image SkiaSharp reads, or larger than the limits.</exception>
    public static (int Width, int Height) Check(string path) => Check(path, MaxPixels);

    /// <summary><see cref="Check(string)"/> with the pixel limit given (tests lower it).</summary>
    internal static (int Width, int Height) Check(string path, long maxPixels)
    {
        using var codec = Open(path);
        var size = DecodedSize(codec, path, maxPixels);
        return (size.Width, size.Height);
    }

    /// <summary>Decodes <paramref name="path"/> after the checks of <see cref="Check(string)"/>, scaled down when its format allows and it is above the limit.</summary>
    /// <inheritdoc cref="Check(string)" path="/exception"/>
    public static SKBitmap Decode(string path) => Decode(path, MaxPixels);

    /// <summary><see cref="Decode(string)"/> with the pixel limit given (tests lower it).</summary>
    internal static SKBitmap Decode(string path, long maxPixels)
    {
        using var codec = Open(path);
        var size = DecodedSize(codec, path, maxPixels);
        if (size == codec.Info.Size)
            return SKBitmap.Decode(codec) ?? throw new InvalidDataException($"{path}: the image data could not be decoded");
        var info = codec.Info.WithSize(size.Width, size.Height);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            throw new InvalidDataException($"{path}: the image data could not be decoded at {size.Width} × {size.Height} ({result})");
        }
        return bitmap;
    }

    /// <summary>The declared size, or within <paramref name="maxPixels"/> the largest reduced size the codec decodes at; throws when neither fits.</summary>
    private static SKSizeI DecodedSize(SKCodec codec, string path, long maxPixels)
    {
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if ((long)w * h <= maxPixels)
            return codec.Info.Size;
        // The codec rounds a scale to one it supports (JPEG: eighths), possibly up: step down until the result fits.
        for (double scale = Math.Sqrt((double)maxPixels / ((long)w * h)); scale >= 1.0 / 16; scale *= 0.9)
        {
            var scaled = codec.GetScaledDimensions((float)scale);
            if (scaled.Width > 0 && scaled.Height > 0 && (long)scaled.Width * scaled.Height <= maxPixels)
                return scaled;
        }
        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
            $"{path}: declares {w} × {h} pixels; ncut decodes at most {maxPixels / 1_000_000.0:G4} megapixels, and this format cannot be decoded at a smaller scale (scale it down first, or save it as JPEG)"));
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
        if (w <= 0 || h <= 0 || w > MaxSide || h > MaxSide)
        {
            codec.Dispose();
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: declares {w} × {h} pixels; ncut decodes images of at most {MaxSide} pixels a side and {MaxPixels / 1_000_000} megapixels (scale it down first)"));
        }
        return codec;
    }
}
