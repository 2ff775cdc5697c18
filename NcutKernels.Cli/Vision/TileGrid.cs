// TileGrid: how an image is resized and cut into non-overlapping 224×224 crops for ResNet-18.
namespace NcutKernels.Cli.Vision;

/// <summary>
/// A grid of <see cref="TilesX"/>×<see cref="TilesY"/> non-overlapping <see cref="CropSize"/>-pixel crops: the image is
/// resized (aspect ratio kept to within half a crop) to exactly <see cref="Width"/>×<see cref="Height"/> pixels and cut
/// into crops left to right, top to bottom, so every pixel lands in exactly one crop.
/// </summary>
/// <param name="TilesX">Crops across.</param>
/// <param name="TilesY">Crops down.</param>
internal readonly record struct TileGrid(int TilesX, int TilesY)
{
    /// <summary>Side of the square crops ResNet18.onnx takes (its input is fixed at 1×3×224×224).</summary>
    public const int CropSize = 224;

    /// <summary>Most crops one image may be cut into.</summary>
    public const int MaxTiles = 256;

    /// <summary>Most crops <see cref="DefaultShortSideTiles"/> picks along the shorter side.</summary>
    public const int MaxDefaultShortSideTiles = 3;

    /// <summary>Width in pixels the image is resized to.</summary>
    public int Width => TilesX * CropSize;

    /// <summary>Height in pixels the image is resized to.</summary>
    public int Height => TilesY * CropSize;

    /// <summary>
    /// The grid with <paramref name="shortSideTiles"/> crops along the image's shorter side and, along the longer side,
    /// that many times the aspect ratio, rounded to the nearest whole crop.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or the tile count is not positive, or the grid has more than <see cref="MaxTiles"/> crops.</exception>
    public static TileGrid For(int imageWidth, int imageHeight, int shortSideTiles)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shortSideTiles);
        int shortSide = Math.Min(imageWidth, imageHeight), longSide = Math.Max(imageWidth, imageHeight);
        long longTiles = Math.Max(shortSideTiles, (long)Math.Round((double)shortSideTiles * longSide / shortSide, MidpointRounding.AwayFromZero));
        if (longTiles * shortSideTiles > MaxTiles)
            throw new ArgumentOutOfRangeException(nameof(shortSideTiles), shortSideTiles,
                $"a {imageWidth}×{imageHeight} image at {shortSideTiles} crops per shorter side needs {longTiles}×{shortSideTiles} crops, more than {MaxTiles}");
        return imageWidth >= imageHeight ? new((int)longTiles, shortSideTiles) : new(shortSideTiles, (int)longTiles);
    }

    /// <summary>
    /// Crops along the shorter side for a target shorter side of <paramref name="resolution"/> pixels: the nearest whole
    /// number of crops, at least one.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="resolution"/> is not positive.</exception>
    public static int ShortSideTilesFor(int resolution)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resolution);
        return Math.Max(1, (int)Math.Round((double)resolution / CropSize, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// The default crops along the shorter side: as many as the image's own shorter side holds (<see cref="ShortSideTilesFor"/>),
    /// at most <see cref="MaxDefaultShortSideTiles"/>, so a small image is one crop and a photo a 2×2 or 3×3 (or, for a
    /// wide one, 2×3, 3×4, …) grid.
    /// </summary>
    public static int DefaultShortSideTiles(int imageWidth, int imageHeight) =>
        Math.Min(MaxDefaultShortSideTiles, ShortSideTilesFor(Math.Min(imageWidth, imageHeight)));
}
