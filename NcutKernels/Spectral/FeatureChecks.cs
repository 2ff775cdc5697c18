// FeatureChecks: the checks every entry that takes features runs — shape, k < n, and one pass for finiteness (naming the parameter, row and column) and max|x|.
using System.Numerics;

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
        long bad = FirstNonFinite(x);
        if (bad >= 0)
            throw NonFinite(x[(int)bad], bad, cols, paramName);
    }

    /// <summary>The error <see cref="ThrowIfNotFinite{T}"/> throws for <paramref name="value"/> at flat index <paramref name="index"/>.</summary>
    public static ArgumentException NonFinite<T>(T value, long index, int cols, string paramName) =>
        new($"{paramName} contains a non-finite value {value} at row {index / cols}, column {index % cols}.", paramName);

    /// <summary>Elements per block of <see cref="Scan{T}"/>'s parallel pass.</summary>
    private const int ScanBlock = 1 << 20;

    /// <summary>The lowest index of a NaN or ±∞ in x, or −1 (<see cref="Scan{T}"/>).</summary>
    public static long FirstNonFinite<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T> => Scan(x).FirstNonFinite;

    /// <summary>
    /// One pass over x: the lowest index of a NaN or ±∞ (−1 when every value is finite) and the largest |x| over the finite
    /// prefix scanned (all of x when it is finite): blocks of 2^20 in parallel, SIMD within a block (x − x is 0 exactly for finite x).
    /// </summary>
    public static (long FirstNonFinite, T MaxAbs) Scan<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length <= ScanBlock)
            return ScanBlockOf(x);
        int blocks = (x.Length + ScanBlock - 1) / ScanBlock;
        var found = new (long, T)[blocks];
        unsafe
        {
            fixed (T* p = x)
            {
                nint address = (nint)p;
                int length = x.Length;
                Parallel.For(0, blocks, b =>
                {
                    int start = b * ScanBlock, len = Math.Min(ScanBlock, length - start);
                    var (hit, max) = ScanBlockOf(new ReadOnlySpan<T>((T*)address + start, len));
                    found[b] = (hit < 0 ? -1 : start + hit, max);
                });
            }
        }
        T maxAbs = T.Zero;
        foreach (var (hit, max) in found)
        {
            if (hit >= 0)
                return (hit, maxAbs);
            maxAbs = T.Max(maxAbs, max);
        }
        return (-1, maxAbs);
    }

    private static (long FirstNonFinite, T MaxAbs) ScanBlockOf<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T maxAbs = T.Zero;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var v = System.Runtime.InteropServices.MemoryMarshal.Cast<T, Vector<T>>(x);
            var max = Vector<T>.Zero;
            for (; i < v.Length; i++)
            {
                if (!Vector.EqualsAll(v[i] - v[i], Vector<T>.Zero))
                    break;
                max = Vector.Max(max, Vector.Abs(v[i]));
            }
            for (int lane = 0; lane < Vector<T>.Count; lane++)
                maxAbs = T.Max(maxAbs, max[lane]);
            i *= Vector<T>.Count;
        }
        for (; i < x.Length; i++)
        {
            if (!T.IsFinite(x[i]))
                return (i, maxAbs);
            maxAbs = T.Max(maxAbs, T.Abs(x[i]));
        }
        return (-1, maxAbs);
    }
}
