// FeatureMap: patch features on a grid, one row per patch (row-major over the grid), as returned by ResNetFeatures.
namespace NcutKernels.Cli.Vision;

/// <summary>
/// Features of a <see cref="Height"/>×<see cref="Width"/> grid of image patches: row <c>row * Width + col</c> of
/// <see cref="Features"/> holds the <see cref="Channels"/> values of the patch in grid row <c>row</c>, column <c>col</c>
/// (row 0 at the top of the image).
/// </summary>
internal sealed class FeatureMap
{
    /// <summary>Wraps <paramref name="features"/> (Height·Width rows, one column per channel).</summary>
    /// <exception cref="ArgumentException">The row count is not <paramref name="height"/>·<paramref name="width"/>.</exception>
    public FeatureMap(float[,] features, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (features.GetLength(0) != height * width)
            throw new ArgumentException($"features has {features.GetLength(0)} rows, a {height}×{width} grid needs {height * width}", nameof(features));
        Features = features;
        Height = height;
        Width = width;
    }

    /// <summary>Patch features, [Height·Width, Channels]; the patch at (row, col) is row <c>row * Width + col</c>.</summary>
    public float[,] Features { get; }

    /// <summary>Patch rows of the grid.</summary>
    public int Height { get; }

    /// <summary>Patch columns of the grid.</summary>
    public int Width { get; }

    /// <summary>Feature values per patch.</summary>
    public int Channels => Features.GetLength(1);
}
