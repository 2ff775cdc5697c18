// PictureSize: the display-size bound of the pictures `ncut trace` draws (--display-size, see TraceOptions) and fitting sizes into it.
namespace NcutKernels.Cli;

/// <summary>
/// The longest side, in pixels, of every picture `ncut trace` writes. Pictures are drawn at this size, not at the
/// photo's, so a large photo costs no more to draw than a small one.
/// </summary>
internal static class PictureSize
{
    /// <summary>The bound when --display-size is not given.</summary>
    public const int Default = 1024;

    /// <summary>The smallest bound accepted.</summary>
    public const int Min = 64;

    /// <summary>The largest bound accepted.</summary>
    public const int Max = 8192;

    /// <summary>
    /// <paramref name="width"/> × <paramref name="height"/> scaled down, aspect ratio kept, until the longer side is at most
    /// <paramref name="bound"/> (never scaled up; each side at least 1).
    /// </summary>
    public static (int Width, int Height) Fit(int width, int height, int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        int longSide = Math.Max(width, height);
        if (longSide <= bound)
            return (width, height);
        double f = (double)bound / longSide;
        return (Math.Clamp((int)Math.Round(width * f), 1, bound), Math.Clamp((int)Math.Round(height * f), 1, bound));
    }

    /// <summary>
    /// Pixels per patch for a picture of <paramref name="width"/> × <paramref name="height"/> patches: at most
    /// <paramref name="preferred"/>, a whole number when at least one pixel per patch fits in <paramref name="bound"/>,
    /// else the fraction that fits.
    /// </summary>
    public static double PatchScale(int width, int height, int preferred, int bound)
    {
        double s = Math.Min(preferred, (double)bound / Math.Max(width, height));
        return s >= 1 ? Math.Floor(s) : s;
    }
}
