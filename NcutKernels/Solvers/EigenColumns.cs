// EigenColumns: eigenvectors from the solver's k×n row-major block to the n×k columns callers get, with the sign convention.
using System.Numerics;

namespace NcutKernels.Solvers;

/// <summary>The one place the output sign convention (each column's sum ≥ 0) is applied to an exact solve's vectors.</summary>
internal static class EigenColumns
{
    /// <summary>k×n row-major eigenvectors → n×k columns, each flipped so that its sum is ≥ 0.</summary>
    public static T[,] Of<T>(T[] vectors, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new T[n, k];
        for (int j = 0; j < k; j++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
                sum += double.CreateChecked(vectors[(long)j * n + i]);
            T sign = sum < 0 ? -T.One : T.One;
            for (int i = 0; i < n; i++)
                result[i, j] = sign * vectors[(long)j * n + i];
        }
        return result;
    }
}
