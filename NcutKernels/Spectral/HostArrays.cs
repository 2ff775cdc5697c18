// HostArrays: the element-type conversions and row picks the embeddings apply to host arrays (float32 ↔ float64, row-major).
using System.Numerics;

namespace NcutKernels.Spectral;

/// <summary>Host array helpers shared by the exact and Nyström embeddings and the propagation methods.</summary>
internal static class HostArrays
{
    /// <summary>The values widened to float64.</summary>
    public static double[] Widen<T>(ReadOnlySpan<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
            r[i] = double.CreateTruncating(a[i]);
        return r;
    }

    /// <summary>float64 values in T: the array itself when T is double, else converted.</summary>
    public static T[] Narrow<T>(double[] a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a is T[] same)
            return same;
        var r = new T[a.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = T.CreateTruncating(a[i]);
        return r;
    }

    /// <summary>Features kept in the fit's element type (float[] or double[]) as T[]: the array itself when the types match, else converted.</summary>
    public static T[] As<T>(Array a) where T : unmanaged, IFloatingPointIeee754<T> => a switch
    {
        T[] same => same,
        double[] wide => Narrow<T>(wide),
        float[] narrow => Array.ConvertAll(narrow, T.CreateTruncating),
        _ => throw new InvalidOperationException($"Unexpected feature array {a.GetType()}."),
    };

    /// <summary>The rows <paramref name="picks"/> of a row-major host matrix (a span holds at most int.MaxValue elements), widened to float64.</summary>
    public static double[] Rows<T>(ReadOnlySpan<T> m, int cols, int[] picks) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new double[(long)picks.Length * cols];
        for (int i = 0; i < picks.Length; i++)
            for (int c = 0; c < cols; c++)
                r[(long)i * cols + c] = double.CreateTruncating(m[(int)((long)picks[i] * cols + c)]);
        return r;
    }
}
