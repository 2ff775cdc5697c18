// ChannelGridLayout: where the cells and label bands of the channel grid picture go, scaled to fit the display size.
using SkiaSharp;

namespace NcutKernels.Cli;

/// <summary>
/// The geometry of a grid of <c>rows</c> × <c>columns</c> equal cells, each a map of <c>gw</c> × <c>gh</c> patches with
/// a label band above it, separated by gaps. The largest whole number of pixels per patch (at most
/// <see cref="TraceImages.CellScale"/>) that keeps both sides within the bound is used; when the labels or gaps do not
/// fit, they go (bands first, then the gaps shrink to 1 pixel and to none), and below one pixel per patch the maps are
/// drawn at the fraction that fits.
/// </summary>
/// <param name="Scale">Pixels per patch.</param>
/// <param name="Gap">Pixels between cells and around the grid.</param>
/// <param name="Band">Height of the label band above each row of cells (0: no labels).</param>
/// <param name="CellWidth">Width of a cell in pixels.</param>
/// <param name="CellHeight">Height of a cell in pixels.</param>
/// <param name="Width">Width of the picture.</param>
/// <param name="Height">Height of the picture.</param>
internal readonly record struct ChannelGridLayout(double Scale, int Gap, int Band, float CellWidth, float CellHeight, int Width, int Height)
{
    /// <summary>Height of a label band, in pixels (the label font is <see cref="TraceImages.LabelSize"/> pixels).</summary>
    public const int LabelBand = 16;

    /// <summary>Narrowest cell that gets labels, in pixels ("ch 255" is about 45 pixels wide at the label size).</summary>
    public const int MinLabelledCellWidth = 48;

    /// <summary>The layout of <paramref name="rows"/> × <paramref name="columns"/> cells of <paramref name="gw"/> × <paramref name="gh"/> patches within <paramref name="bound"/> pixels a side.</summary>
    public static ChannelGridLayout For(int gw, int gh, int columns, int rows, int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gw);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(gh);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ReadOnlySpan<(int Gap, int Band)> choices = [(TraceImages.Gap, LabelBand), (TraceImages.Gap, 0), (1, 0)];
        foreach (var (gap, band) in choices)
        {
            double s = Math.Floor(Fitting(gw, gh, columns, rows, gap, band, bound));
            if (s >= 1 && (band == 0 || s * gw >= MinLabelledCellWidth))
                return Make(gw, gh, columns, rows, gap, band, s, bound);
        }
        return Make(gw, gh, columns, rows, 0, 0, Fitting(gw, gh, columns, rows, 0, 0, bound), bound);
    }

    /// <summary>The map rectangle of cell (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public SKRect Cell(int row, int column)
    {
        float left = Gap + column * (CellWidth + Gap), top = Gap + Band + row * (CellHeight + Band + Gap);
        return new SKRect(left, top, left + CellWidth, top + CellHeight);
    }

    /// <summary>The label band above cell (<paramref name="row"/>, <paramref name="column"/>); empty when there are no labels.</summary>
    public SKRect LabelArea(int row, int column)
    {
        var cell = Cell(row, column);
        return new SKRect(cell.Left, cell.Top - Band, cell.Right, cell.Top);
    }

    /// <summary>Pixels per patch that fit, at most <see cref="TraceImages.CellScale"/> (not rounded).</summary>
    private static double Fitting(int gw, int gh, int columns, int rows, int gap, int band, int bound) => Math.Min(TraceImages.CellScale,
        Math.Min((bound - (columns + 1.0) * gap) / ((double)columns * gw), (bound - gap - rows * (double)(band + gap)) / ((double)rows * gh)));

    private static ChannelGridLayout Make(int gw, int gh, int columns, int rows, int gap, int band, double s, int bound)
    {
        float cellW = (float)(gw * s), cellH = (float)(gh * s);
        int width = Math.Clamp((int)Math.Ceiling(columns * cellW + (columns + 1) * gap - 1e-3), 1, bound);
        int height = Math.Clamp((int)Math.Ceiling(rows * (cellH + band + gap) + gap - 1e-3), 1, bound);
        return new ChannelGridLayout(s, gap, band, cellW, cellH, width, height);
    }
}
