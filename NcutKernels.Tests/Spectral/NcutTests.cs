// NcutTests: the exact Ncut embedding against MathNet's float64 dense EVD of the same normalized affinity.
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class NcutTests
{
    private static (double[,] x, double sigma) Separated(int n = 400, int d = 8, int c = 4) =>
        (TestData.Blobs(n, d, c, separation: 6, seed: 11), 3.0);

    [Test]
    public void Float64_MatchesMathNetDenseEvd()
    {
        var (x, sigma) = Separated();
        const int k = 6;
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = k, Sigma = sigma });
        var u = ncut.FitTransform(x);
        var m = TestData.Normalize(TestData.Affinity(x, false, sigma));
        var (values, vectors) = TestData.TopK(m, k);
        Assert.That(ncut.Report!.Dense, Is.False, "n = 400 must exercise Lanczos, not the dense fallback");
        for (int j = 0; j < k; j++)
            // |a − ref| ≤ 1e-10·|ref| (issue: float64 eigenvalues to 1e-10 relative)
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(values[j]).Within(1e-10 * Math.Abs(values[j]) + 1e-13), $"λ{j}");
        Assert.That(TestData.SubspaceSin(vectors, TestData.Matrix(u)), Is.LessThan(1e-8));
    }

    [Test]
    public void Float32_MatchesMathNetDenseEvd()
    {
        var (x, sigma) = Separated();
        const int k = 6;
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = k, Sigma = sigma });
        var u = TestData.Matrix(ncut.FitTransform(TestData.ToFloat(x)));
        var m = TestData.Normalize(TestData.Affinity(x, false, sigma));
        var (values, vectors) = TestData.TopK(m, k);
        for (int j = 0; j < k; j++)
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(values[j]).Within(1e-5 * Math.Abs(values[j])), $"λ{j}");
        Assert.That(TestData.SubspaceSin(vectors, u), Is.LessThan(1e-4));
        var gram = u.Transpose() * u;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                Assert.That(gram[i, j], Is.EqualTo(i == j ? 1.0 : 0.0).Within(1e-5), $"UᵀU[{i},{j}]");
        // explicit residuals against the float64 matrix
        for (int j = 0; j < k; j++)
        {
            var r = m * u.Column(j) - ncut.Eigenvalues[j] * u.Column(j);
            Assert.That(r.L2Norm(), Is.LessThan(2e-5), $"residual {j}");
        }
    }

    [Test]
    public void ThickRestarts_StillMatchMathNet()
    {
        // Uniform noise has a nearly flat spectrum after λ1: small relative gaps force several restarts.
        var x = TestData.Uniform(600, 3, seed: 17);
        const int k = 10;
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = k, Sigma = 0.15, Tolerance = 1e-11 });
        var u = TestData.Matrix(ncut.FitTransform(x));
        Assert.That(ncut.Report!.Restarts, Is.GreaterThan(0), ncut.Report.ToString());
        Assert.That(ncut.Report.Converged, Is.True, ncut.Report.ToString());
        var m = TestData.Normalize(TestData.Affinity(x, false, 0.15));
        var (values, vectors) = TestData.TopK(m, k + 1);
        for (int j = 0; j < k; j++)
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(values[j]).Within(1e-10 * Math.Abs(values[j])), $"λ{j}");
        // Davis–Kahan: the angle is bounded by residual / gap to λ(k+1).
        double gap = values[k - 1] - values[k];
        Assert.That(TestData.SubspaceSin(vectors.SubMatrix(0, 600, 0, k), u), Is.LessThan(10 * Math.Sqrt(k) * 1e-11 / gap + 1e-12));
    }
}
