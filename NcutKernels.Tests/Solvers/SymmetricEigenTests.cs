// SymmetricEigenTests: the host eigen-solver against MathNet's dense EVD, including repeated and zero eigenvalues.
using MathNet.Numerics.LinearAlgebra;
using NcutKernels.Solvers;
using NUnit.Framework;

namespace NcutKernels.Tests.Solvers;

[TestFixture]
public class SymmetricEigenTests
{
    private static double[,] RandomSymmetric(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
                a[i, j] = a[j, i] = rng.NextDouble() * 2 - 1;
        return a;
    }

    private static void AssertDecomposition(double[,] a, double tol)
    {
        int n = a.GetLength(0);
        var (values, vectors) = SymmetricEigen.Decompose(a);
        var reference = Matrix<double>.Build.DenseOfArray(a).Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderDescending().ToArray();
        var v = Matrix<double>.Build.DenseOfArray(vectors);
        var am = Matrix<double>.Build.DenseOfArray(a);
        for (int j = 0; j < n; j++)
        {
            Assert.That(values[j], Is.EqualTo(reference[j]).Within(tol), $"λ{j}");
            if (j > 0)
                Assert.That(values[j], Is.LessThanOrEqualTo(values[j - 1]), "descending order");
            Assert.That((am * v.Column(j) - values[j] * v.Column(j)).L2Norm(), Is.LessThan(tol), $"residual {j}");
        }
        Assert.That((v.Transpose() * v - Matrix<double>.Build.DenseIdentity(n)).InfinityNorm(), Is.LessThan(tol), "VᵀV = I");
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(7)]
    [TestCase(80)]
    public void RandomSymmetric_MatchesMathNet(int n) => AssertDecomposition(RandomSymmetric(n, n), 1e-11 * n);

    [Test]
    public void RepeatedAndZeroEigenvalues_AreResolved()
    {
        // Q·diag(1, 1, 1, 0.5, 0, 0)·Qᵀ with a random orthogonal Q.
        var q = Matrix<double>.Build.DenseOfArray(RandomSymmetric(6, 3)).QR().Q;
        var a = q * Matrix<double>.Build.DenseOfDiagonalArray([1, 1, 1, 0.5, 0, 0]) * q.Transpose();
        AssertDecomposition(a.ToArray(), 1e-12);
    }

    [Test]
    public void Diagonal_IsReturnedSorted()
    {
        var a = new double[,] { { 0.2, 0, 0 }, { 0, 3, 0 }, { 0, 0, -1 } };
        var (values, _) = SymmetricEigen.Decompose(a);
        Assert.That(values, Is.EqualTo(new[] { 3, 0.2, -1 }).AsCollection);
    }

    [Test]
    public void NonFiniteEntry_Throws() =>
        Assert.That(() => SymmetricEigen.Decompose(new double[,] { { 1, double.NaN }, { double.NaN, 1 } }), Throws.TypeOf<ArithmeticException>());
}
