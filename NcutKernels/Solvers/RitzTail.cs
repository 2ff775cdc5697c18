// RitzTail: the Ritz pairs just below the k wanted ones at the end of a top-k eigen-solve (the backward pass's gap estimate and deflation space).
using System.Numerics;

namespace NcutKernels.Solvers;

/// <summary>
/// Ritz pairs k+1 … k+c of the forward solve's final basis: <see cref="Values"/> descending and the vectors as the
/// columns of <see cref="Vectors"/> (n×c row-major, float64). Approximate eigenpairs (exact on the dense path).
/// </summary>
internal sealed record RitzTail(double[] Values, double[] Vectors)
{
    /// <summary>c, the number of pairs.</summary>
    public int Count => Values.Length;

    /// <summary>From c×n row-major rows (one vector per row) to n×c columns.</summary>
    public static RitzTail FromRows<T>(double[] values, T[] rows, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = values.Length;
        var v = new double[n * c];
        for (int j = 0; j < c; j++)
            for (int i = 0; i < n; i++)
                v[i * c + j] = double.CreateChecked(rows[(long)j * n + i]);
        return new RitzTail(values, v);
    }
}
