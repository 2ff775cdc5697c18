// FeatureChecks: the finiteness check every entry that takes features runs, with one message naming the parameter, row and column.
using System.Numerics;

namespace NcutKernels.Spectral;

/// <summary>Input checks shared by <see cref="Ncut"/>, <see cref="NystromNcut"/> and <see cref="ChannelTracer"/>.</summary>
internal static class FeatureChecks
{
    /// <summary>
    /// The checks of an embedding's input x (row-major, rows × cols): n ≥ 2, d ≥ 1, the length, k &lt; n and finiteness,
    /// each with an ArgumentException-family error naming the parameter (x, rows, cols or EigenvectorCount) and the value.
    /// </summary>
    public static void ThrowIfBadEmbeddingInput<T>(ReadOnlySpan<T> x, int rows, int cols, int eigenvectorCount) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows < 2)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "Need at least 2 points (rows).");
        if (cols < 1)
            throw new ArgumentOutOfRangeException(nameof(cols), cols, "Need at least 1 feature (column); d = 0 given.");
        if (x.Length != (long)rows * cols)
            throw new ArgumentException($"x holds {x.Length} values, expected {rows}×{cols}.", nameof(x));
        if (eigenvectorCount >= rows)
            throw new ArgumentOutOfRangeException(nameof(NcutOptions.EigenvectorCount), eigenvectorCount,
                $"EigenvectorCount must be less than the number of points n = {rows}.");
        ThrowIfNotFinite(x, cols, nameof(x));
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/>, the value, its row and column at the first NaN or ±∞ of x (row-major, <paramref name="cols"/> wide).</summary>
    public static void ThrowIfNotFinite<T>(ReadOnlySpan<T> x, int cols, string paramName) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            if (!T.IsFinite(x[i]))
                throw new ArgumentException($"{paramName} contains a non-finite value {x[i]} at row {i / cols}, column {i % cols}.", paramName);
        }
    }
}
