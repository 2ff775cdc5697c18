// FeatureChecks: the finiteness check every entry that takes features runs, with one message naming the parameter, row and column.
using System.Numerics;

namespace NcutKernels.Spectral;

/// <summary>Input checks shared by <see cref="Ncut"/>, <see cref="NystromNcut"/> and <see cref="ChannelTracer"/>.</summary>
internal static class FeatureChecks
{
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
