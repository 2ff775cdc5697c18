// BlockLanczosTests: the device-output entry (eigenvectors left on the device) against the host-output one and against MathNet's dense EVD.
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Tests.Solvers;

[TestFixture]
public class BlockLanczosTests
{
    /// <summary>A symmetric n×n matrix with a spread-out top of the spectrum: Q·diag(λ)·Qᵀ, λ_i = 0.97^i, Q from a seeded QR.</summary>
    private static double[,] Spectrum(int n, int seed)
    {
        var q = TestData.RandomMatrix(n, n, seed, TestData.SignedUniform).QR().Q;
        var lambda = Matrix<double>.Build.DiagonalOfDiagonalArray(Enumerable.Range(0, n).Select(i => Math.Pow(0.97, i)).ToArray());
        return (q * lambda * q.Transpose()).ToArray();
    }

    /// <summary>n = 300 runs the block Lanczos iteration (k = 6: block 6, basis 54); n = 80 the dense host solve.</summary>
    [TestCase(300)]
    [TestCase(80)]
    public void SolveOnDevice_EqualsSolve_AndTheDenseReference(int n)
    {
        const int k = 6;
        var a = Spectrum(n, 5);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var m = DeviceMatrix<double>.Upload(device, a);
        var (values, vectors, _) = BlockLanczos<double>.Solve(device, m, k, 1e-10, 3, 500);
        var (onValues, onDevice, report) = BlockLanczos<double>.SolveOnDevice(device, m, k, 1e-10, 3, 500);
        using (onDevice)
        {
            Assert.That(onValues, Is.EqualTo(values), "the same eigenvalues");
            Assert.That((onDevice.Rows, onDevice.Cols), Is.EqualTo((k, n)));
            var rows = new double[onDevice.Length];
            onDevice.Download(rows);
            Assert.That(rows, Is.EqualTo(vectors), "the same eigenvectors, bit for bit");
        }
        Assert.That(report.Converged, Is.True);
        // Against MathNet (float64): |λ − ref| ≤ 1e-9 (the solve's tolerance is 1e-10 on the residual; the gaps are ≥ 0.97^5·0.03).
        var reference = Matrix<double>.Build.DenseOfArray(a).Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderDescending().ToArray();
        for (int j = 0; j < k; j++)
            Assert.That(Math.Abs(onValues[j] - reference[j]), Is.LessThanOrEqualTo(1e-9), $"λ{j}");
    }

    /// <summary>
    /// The start and refill vectors, drawn row by row on parallel workers, equal one sequential SplitMix64 stream (the
    /// generator's published recurrence, written out here), normalized per row in float64 — for float and double, and a
    /// start state near 2⁶⁴ so the state wraps; the returned state is where the sequential stream stops.
    /// </summary>
    [TestCase(0x9E3779B97F4A7C15UL ^ 3UL, 7, 1000)]
    [TestCase(ulong.MaxValue - 5, 33, 257)]
    public void UnitRows_AreOneSequentialSplitMixStream(ulong start, int count, int n)
    {
        var expected = new double[count * n];
        ulong state = start;
        for (int r = 0; r < count; r++)
        {
            var raw = new double[n];
            for (int i = 0; i < n; i++)
            {
                ulong z = state = unchecked(state + 0x9E3779B97F4A7C15UL);
                z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
                z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
                raw[i] = (z ^ (z >> 31)) * (1.0 / 18446744073709551616.0) - 0.5;
            }
            double norm = Math.Sqrt(NcutKernels.Backends.Managed.SimdMath.Dot<double>(raw, raw));
            for (int i = 0; i < n; i++)
                expected[r * n + i] = raw[i] / norm;
        }
        var d = new double[count * n + 3];
        Assert.That(BlockLanczos<double>.UnitRows(start, count, n, d), Is.EqualTo(state), "the state after the last output");
        Assert.That(d[..(count * n)], Is.EqualTo(expected), "float64 rows, bit for bit");
        Assert.That(d[(count * n)..], Is.All.EqualTo(0.0), "nothing past count rows written");
        var f = new float[count * n];
        BlockLanczos<float>.UnitRows(start, count, n, f);
        Assert.That(f, Is.EqualTo(expected.Select(v => (float)v).ToArray()), "float32 rows = the float64 ones rounded");
        Assert.Throws<ArgumentException>(() => BlockLanczos<float>.UnitRows(start, count, n, new float[count * n - 1]));
    }

    [TestCase(3, 4)]
    [TestCase(12, 12)]
    [TestCase(40, 16)]
    [TestCase(64, 32)]
    [TestCase(100, 32)]
    public void Shape_WidensTheBlockForManyPairs(int k, int block) => Assert.That(BlockLanczos<double>.Shape(10240, k).block, Is.EqualTo(block));

    /// <summary>k = 70 wanted pairs: blocks of 32 (basis 224), n = 600 above the dense threshold; every pair against MathNet.</summary>
    [Test]
    public void WideBlocks_FindTheTopPairs()
    {
        const int n = 600, k = 70;
        var a = Spectrum(n, 8);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var m = DeviceMatrix<double>.Upload(device, a);
        var (values, vectors, report) = BlockLanczos<double>.Solve(device, m, k, 1e-9, 1, 500);
        Assert.That((report.BlockSize, report.Converged), Is.EqualTo((32, true)));
        var reference = Matrix<double>.Build.DenseOfArray(a).Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderDescending().ToArray();
        // |λ − ref| ≤ 1e-9: residual ≤ 1e-9 and gaps ≥ 0.97^70·0.03 ≈ 3.6e-3 bound the error by residual²/gap.
        for (int j = 0; j < k; j++)
            Assert.That(Math.Abs(values[j] - reference[j]), Is.LessThanOrEqualTo(1e-9), $"λ{j}");
        var am = Matrix<double>.Build.DenseOfArray(a);
        for (int j = 0; j < k; j += 23)
        {
            var u = Vector<double>.Build.Dense(n, i => vectors[j * n + i]);
            Assert.That((am * u - values[j] * u).L2Norm(), Is.LessThanOrEqualTo(1e-9 * 10), $"residual of pair {j} (10× the solve's tolerance: float64 rounding of the check)");
        }
    }
}
