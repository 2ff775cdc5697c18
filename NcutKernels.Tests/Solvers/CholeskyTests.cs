// CholeskyTests: the host Cholesky factor and solve against MathNet float64, its refusal of indefinite matrices, and SubspaceAngle against the QR/SVD reference.
using MathNet.Numerics.LinearAlgebra;
using NcutKernels.Solvers;
using NUnit.Framework;

namespace NcutKernels.Tests.Solvers;

public class CholeskyTests
{
    /// <summary>B·Bᵀ + n·I for a seeded Gaussian B (n×n): well conditioned, symmetric positive definite.</summary>
    private static Matrix<double> SpdMatrix(int n, int seed)
    {
        var b = TestData.RandomMatrix(n, n, seed, TestData.Gaussian);
        return b * b.Transpose() + Matrix<double>.Build.DenseIdentity(n) * n;
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(150)] // crosses the serial/parallel switch at 64 rows
    public void FactorAndSolve_MatchMathNet(int n)
    {
        var a = SpdMatrix(n, n);
        var l = Cholesky.Factor(a.ToRowMajorArray(), n);
        var reference = a.Cholesky().Factor;
        var b = TestData.RandomMatrix(n, 3, 2, TestData.Gaussian);
        var x = Cholesky.Solve(l, n, b.ToRowMajorArray(), 3);
        var expected = a.Cholesky().Solve(b).ToRowMajorArray();
        // Same algorithm family in float64, another summation order: |Δ| ≤ 1e-12·(1 + |ref|) (entries are O(√n)).
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                Assert.That(l[i * n + j], Is.EqualTo(reference[i, j]).Within(1e-12 * (1 + Math.Abs(reference[i, j]))), $"L[{i}, {j}]");
        for (int i = 0; i < x.Length; i++)
            Assert.That(x[i], Is.EqualTo(expected[i]).Within(1e-12 * (1 + Math.Abs(expected[i]))), $"x[{i}]");
    }

    [Test]
    public void Factor_RefusesAnIndefiniteMatrix_AndBadShapes()
    {
        double[] indefinite = [1, 2, 2, 1];
        Assert.That(() => Cholesky.Factor(indefinite, 2), Throws.InstanceOf<ArithmeticException>().With.Message.Contains("pivot 1"));
        Assert.That(() => Cholesky.Factor([1, 0, 0], 2), Throws.ArgumentException);
        Assert.That(() => Cholesky.Solve([1], 1, [1, 2], 1), Throws.ArgumentException);
    }

    [Test]
    public void SubspaceAngle_MatchesTheQrReference_DownToSmallAngles()
    {
        var rng = new Random(9);
        var a = Matrix<double>.Build.Dense(60, 4, (_, _) => TestData.Gaussian(rng));
        foreach (double eps in new[] { 0.3, 1e-3, 1e-7 })
        {
            var b = a + Matrix<double>.Build.Dense(60, 4, (_, _) => eps * TestData.Gaussian(rng));
            double expected = TestData.SubspaceSin(TestData.Orthonormal(a), TestData.Orthonormal(b));
            double got = SubspaceAngle.Sin(a.ToRowMajorArray(), b.ToRowMajorArray(), 60, 4);
            // Both float64: the reference's ‖(I − QQᵀ)Q̂‖ and ours agree to rounding relative to the angle.
            Assert.That(got, Is.EqualTo(expected).Within(1e-10 + 1e-6 * expected), $"perturbation {eps}");
        }
        Assert.That(SubspaceAngle.Sin(a.ToRowMajorArray(), (a * 2).ToRowMajorArray(), 60, 4), Is.LessThan(1e-12), "the same span");
        var dependent = a.Clone();
        dependent.SetColumn(3, a.Column(0));
        Assert.That(SubspaceAngle.Sin(a.ToRowMajorArray(), dependent.ToRowMajorArray(), 60, 4), Is.EqualTo(1), "a rank-deficient basis");
    }
}
