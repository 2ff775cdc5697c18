// LabelFont: the typeface of the text in ncut's pictures — DejaVu Sans, shipped beside the tool (its licence alongside).
using SkiaSharp;

namespace NcutKernels.Cli;

/// <summary>
/// DejaVu Sans, loaded from the tool's own folder. SkiaSharp's Linux "NoDependencies" build has no fontconfig, so the
/// default typeface may have no glyphs on a machine without fonts; a shipped file draws the same everywhere.
/// </summary>
internal static class LabelFont
{
    private static readonly Lazy<SKTypeface> Loaded = new(Load);

    /// <summary>Where the font file ships: Assets/fonts/DejaVuSans.ttf beside the tool (its licence: DejaVuSans-LICENSE.txt).</summary>
    public static string FilePath { get; } = Path.Combine(AppContext.BaseDirectory, "Assets", "fonts", "DejaVuSans.ttf");

    /// <summary>The typeface, loaded on first use and kept for the process.</summary>
    /// <exception cref="FileNotFoundException">The font file is missing beside the tool.</exception>
    /// <exception cref="InvalidDataException">The file is not a font SkiaSharp reads.</exception>
    public static SKTypeface Typeface => Loaded.Value;

    private static SKTypeface Load()
    {
        if (!File.Exists(FilePath))
            throw new FileNotFoundException($"label font not found: {FilePath} (it ships beside ncut as Assets/fonts/DejaVuSans.ttf)", FilePath);
        var typeface = SKTypeface.FromFile(FilePath) ?? throw new InvalidDataException($"{FilePath}: not a font SkiaSharp can read");
        if (typeface.GlyphCount == 0)
        {
            typeface.Dispose();
            throw new InvalidDataException($"{FilePath}: the font has no glyphs");
        }
        return typeface;
    }
}
