// SmallSvdTests: the host one-sided Jacobi SVD against MathNet, including rank-deficient and zero matrices (orthogonal factors regardless).
using MathNet.Numerics.LinearAlgebra;
using NcutKernels.Solvers;
using NUnit.Framework;

namespace NcutKernels.Tests.Solvers;

[TestFixture]
public class SmallSvdTests
{
    /// <summary>A = U·S·Vᵀ, UᵀU = VᵀV = I, s descending and equal to MathNet's singular values, all within tol.</summary>
    private static void AssertDecomposition(Matrix<double> a, double tol)
    {
        var (uArr, s, vArr) = SmallSvd.Decompose(a.ToArray());
        int n = a.ColumnCount;
        var u = Matrix<double>.Build.DenseOfArray(uArr);
        var v = Matrix<double>.Build.DenseOfArray(vArr);
        var identity = Matrix<double>.Build.DenseIdentity(n);
        Assert.That((u.Transpose() * u - identity).InfinityNorm(), Is.LessThan(1e-13), "UᵀU = I");
        Assert.That((v.Transpose() * v - identity).InfinityNorm(), Is.LessThan(1e-13), "VᵀV = I");
        // |A − U·S·Vᵀ| ≤ tol (absolute: entries of A are O(1))
        Assert.That((a - u * Matrix<double>.Build.DenseOfDiagonalArray(s) * v.Transpose()).InfinityNorm(), Is.LessThan(tol), "A = U·S·Vᵀ");
        var reference = a.Svd().S;
        for (int j = 0; j < n; j++)
        {
            // |s − ref| ≤ tol (absolute)
            Assert.That(s[j], Is.EqualTo(reference[j]).Within(tol), $"s{j}");
            if (j > 0)
                Assert.That(s[j], Is.LessThanOrEqualTo(s[j - 1]), "descending order");
        }
    }

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(7, 7)]
    [TestCase(20, 20)]
    [TestCase(9, 4)]
    public void Random_MatchesMathNet(int m, int n) => AssertDecomposition(TestData.RandomMatrix(m, n, 10 * m + n, TestData.SignedUniform), 1e-13 * m);

    [Test]
    public void RankDeficient_FactorsStayOrthogonal()
    {
        // rank 2 in 6×6 (a product of 6×2 and 2×6), then a rank-1 matrix with two repeated rows.
        AssertDecomposition(TestData.RandomMatrix(6, 2, 1, TestData.SignedUniform) * TestData.RandomMatrix(2, 6, 2, TestData.SignedUniform), 1e-13);
        var rows = TestData.RandomMatrix(1, 5, 3, TestData.SignedUniform);
        AssertDecomposition(Matrix<double>.Build.Dense(5, 5, (i, j) => i < 2 ? rows[0, j] : 0), 1e-13);
    }

    [Test]
    public void ZeroMatrix_GivesZeroValuesAndOrthogonalFactors() => AssertDecomposition(Matrix<double>.Build.Dense(4, 4), 1e-15);

    [Test]
    public void NonFiniteEntry_Throws() =>
        Assert.That(() => SmallSvd.Decompose(new double[,] { { 1, double.NaN }, { 0, 1 } }), Throws.TypeOf<ArithmeticException>());

    [Test]
    public void WideMatrix_Throws() =>
        Assert.That(() => SmallSvd.Decompose(new double[2, 3]), Throws.TypeOf<ArgumentException>().With.Message.Contains("2×3"));
}
