// FiniteScan: one parallel SIMD pass over values for the first NaN or ±∞ and the largest |x|, and the error that names where.
using System.Numerics;

namespace NcutKernels.Core;

/// <summary>The finiteness scan every input check and every backend's <c>FirstNonFinite</c> / <c>MaxAbs</c> run.</summary>
internal static class FiniteScan
{
    /// <summary>The error a check of finite input throws for <paramref name="value"/> at flat index <paramref name="index"/>.</summary>
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
