// RowBands: splits an auto-grouped launch over Index2D (columns, rows) into bands of rows that fit a grid's y extent and one launch's thread count.
using ILGPU;

namespace NcutKernels.Backends.Ilgpu;

/// <summary>
/// Row bands of an auto-grouped launch over Index2D (cols, rows): consecutive threads take consecutive columns of one row
/// (coalesced), and the rows go on the grid's y extent, which CUDA limits to <see cref="MaxGridRows"/>. Each band is one
/// launch of at most that many rows and at most int.MaxValue threads; its kernel adds the band's first row to idx.Y.
/// </summary>
internal static class RowBands
{
    /// <summary>The most rows one launch puts on a grid's y extent (CUDA's gridDim.y limit).</summary>
    public const int MaxGridRows = 65535;

    /// <summary>
    /// The bands covering rows [0, rows) in order: each band's extent (cols, its rows) and its first row. A band holds at most
    /// <paramref name="gridRows"/> rows (at least one), fewer where cols × that many rows would exceed int.MaxValue threads.
    /// </summary>
    public static IEnumerable<(Index2D Extent, int Row0)> Of(int cols, int rows, int gridRows)
    {
        int band = Math.Max(1, Math.Min(gridRows, int.MaxValue / Math.Max(1, cols)));
        for (int row0 = 0, count; row0 < rows; row0 += count)
        {
            count = Math.Min(band, rows - row0);
            yield return (new Index2D(cols, count), row0);
        }
    }
}
