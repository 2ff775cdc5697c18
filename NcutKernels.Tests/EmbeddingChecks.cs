// EmbeddingChecks: the float64 MathNet reference of an embedding and the checks every range test applies (orthonormality, spectrum bounds, subspace angle).
using MathNet.Numerics.LinearAlgebra;
using NcutKernels.Core;
using NcutKernels.Spectral;

namespace NcutKernels.Tests;

/// <summary>Reference embeddings and the properties any embedding must have.</summary>
internal static class EmbeddingChecks
{
    /// <summary>Nyström options that force the Nyström path (whatever n) with the given propagation.</summary>
    public static NystromOptions ForcedNystrom(NystromPropagation propagation = NystromPropagation.Classic) =>
        new() { Path = EmbeddingPath.Nystrom, Propagation = propagation };

    /// <summary>Top-k eigenpairs of D^-1/2·W·D^-1/2 (no shift) for W = the direct float64 affinity of x at σ (MathNet EVD).</summary>
    public static (double[] values, Matrix<double> vectors) Reference(double[,] x, AffinityKind kind, double sigma, int k) =>
        TestData.TopK(TestData.Normalize(TestData.Affinity(x, kind == AffinityKind.Cosine, sigma)), k);

    /// <summary>‖UᵀU − I‖_F of the n×k embedding.</summary>
    public static double OrthonormalityError(Matrix<double> u) =>
        (u.TransposeThisAndMultiply(u) - Matrix<double>.Build.DenseIdentity(u.ColumnCount)).FrobeniusNorm();

    /// <summary>
    /// sin of the largest principal angle between the first m columns of a and b, m the largest count ≤ columns whose eigenvalue
    /// (<paramref name="values"/>, descending, at least columns + 1 of them) stands at least <paramref name="gap"/> above the next:
    /// the subspace that rounding cannot rotate by more than about rounding/gap. 0 when no such m exists.
    /// </summary>
    public static double SeparatedSubspaceSin(Matrix<double> a, Matrix<double> b, double[] values, double gap, out int m)
    {
        m = 0;
        for (int j = Math.Min(a.ColumnCount, values.Length - 1); j >= 1; j--)
            if (values[j - 1] - values[j] >= gap)
            {
                m = j;
                break;
            }
        return m == 0 ? 0 : TestData.SubspaceSin(a.SubMatrix(0, a.RowCount, 0, m), b.SubMatrix(0, b.RowCount, 0, m));
    }

    /// <summary>
    /// x rounded to multiples of 1/64 (at most 11 significant bits for |x| &lt; 16): c·x is then exact for any power of two c
    /// down to float32's subnormals at 2^−140 (and float64's at 2^−1060), so scaled copies carry no rounding of their own.
    /// </summary>
    public static double[,] Quantized(double[,] x)
    {
        var q = (double[,])x.Clone();
        for (int i = 0; i < q.GetLength(0); i++)
            for (int j = 0; j < q.GetLength(1); j++)
                q[i, j] = Math.Round(q[i, j] * 64) / 64;
        return q;
    }

    /// <summary>c·x element-wise (float64).</summary>
    public static double[,] Scaled(double[,] x, double c)
    {
        var s = new double[x.GetLength(0), x.GetLength(1)];
        for (int i = 0; i < s.GetLength(0); i++)
            for (int j = 0; j < s.GetLength(1); j++)
                s[i, j] = c * x[i, j];
        return s;
    }
}
