// FeatureChecks: the checks every entry that takes features runs — shape, k < n, and one pass for finiteness (naming the parameter, row and column) and max|x|.
using System.Numerics;
using NcutKernels.Core;

namespace NcutKernels.Spectral;

/// <summary>Input checks shared by <see cref="Ncut"/>, <see cref="NystromNcut"/> and <see cref="ChannelTracer"/>.</summary>
internal static class FeatureChecks
{
    /// <summary>
    /// The checks of an embedding's input x (row-major, rows × cols): n ≥ 2, d ≥ 1, the length, k &lt; n and finiteness,
    /// each with an ArgumentException-family error naming the parameter (x, rows, cols or EigenvectorCount) and the value.
    /// Returns the exact power-of-two rescale x needs (<see cref="FeatureScale"/>), from the largest |x| found by the same pass.
    /// </summary>
    public static FeatureScale ThrowIfBadEmbeddingInput<T>(ReadOnlySpan<T> x, int rows, int cols, int eigenvectorCount) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowIfBadSize(rows, cols, nameof(rows), nameof(cols));
        if (x.Length != (long)rows * cols)
            throw new ArgumentException($"x holds {x.Length} values, expected {rows}×{cols}.", nameof(x));
        ThrowIfTooManyVectors(rows, eigenvectorCount);
        return FeatureScale.Of(x, cols, nameof(x));
    }

    /// <summary>
    /// The checks of <see cref="ThrowIfBadEmbeddingInput{T}(ReadOnlySpan{T}, int, int, int)"/> that need no values, for a
    /// device-resident matrix named <paramref name="paramName"/> (rows × cols).
    /// </summary>
    public static void ThrowIfBadEmbeddingShape(int rows, int cols, int eigenvectorCount, string paramName)
    {
        ThrowIfBadSize(rows, cols, paramName, paramName);
        ThrowIfTooManyVectors(rows, eigenvectorCount);
    }

    /// <summary>n ≥ 2 and d ≥ 1, each error naming <paramref name="rowsParam"/> or <paramref name="colsParam"/>.</summary>
    private static void ThrowIfBadSize(int rows, int cols, string rowsParam, string colsParam)
    {
        if (rows < 2)
            throw new ArgumentOutOfRangeException(rowsParam, rows, $"Need at least 2 points (rows); x is {rows}×{cols}.");
        if (cols < 1)
            throw new ArgumentOutOfRangeException(colsParam, cols, "Need at least 1 feature (column); d = 0 given.");
    }

    /// <summary>k &lt; n.</summary>
    private static void ThrowIfTooManyVectors(int rows, int eigenvectorCount)
    {
        if (eigenvectorCount >= rows)
            throw new ArgumentOutOfRangeException(nameof(NcutOptions.EigenvectorCount), eigenvectorCount,
                $"EigenvectorCount must be less than the number of points n = {rows}.");
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/>, the value, its row and column at the first NaN or ±∞ of x (row-major, <paramref name="cols"/> wide).</summary>
    public static void ThrowIfNotFinite<T>(ReadOnlySpan<T> x, int cols, string paramName) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long bad = FiniteScan.FirstNonFinite(x);
        if (bad >= 0)
            throw FiniteScan.NonFinite(x[(int)bad], bad, cols, paramName);
    }
}
