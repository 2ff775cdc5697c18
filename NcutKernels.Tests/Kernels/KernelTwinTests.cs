// KernelTwinTests: every ILGPU kernel run on ILGPU's CPU accelerator at tiny sizes against its managed twin.
using NUnit.Framework;
using NcutKernels.Backends;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class KernelTwinTests : CpuAndIlgpuFixture
{
    private static float[] Run(ComputeDevice device, float[] data, int rows, int cols, Action<Backend, DeviceMatrix<float>> op)
    {
        using var m = DeviceMatrix<float>.Upload(device, data, rows, cols);
        op(device.Backend, m);
        device.Backend.Synchronize();
        var result = new float[m.Length];
        m.Download(result);
        return result;
    }

    // n = 37 and d = 11 straddle no tile edge: every load and store bound is exercised.
    [TestCase(AffinityKind.Rbf, 37, 11)]
    [TestCase(AffinityKind.Cosine, 37, 11)]
    [TestCase(AffinityKind.Rbf, 130, 9)]
    public void Affinity_MatchesManagedTwin(AffinityKind kind, int n, int d)
    {
        var x = TestData.UniformFloats(n * d, 1);
        float[] W(ComputeDevice dev)
        {
            using var xm = DeviceMatrix<float>.Upload(dev, x, n, d);
            return Run(dev, new float[n * n], n, n, (be, w) => be.Affinity(xm.All, w, kind, 1 / (2 * 1.3 * 1.3)));
        }
        // float32 Gram expansion vs the same expansion in another summation order: a few ulps of ‖x‖².
        Tolerances.AssertClose(W(Ilgpu), W(Cpu), 2e-6, 2e-5, "W");
    }

    [Test]
    public void RowSumsAndNormalize_MatchManagedTwin()
    {
        const int n = 45;
        var w = TestData.UniformFloats(n * n, 2, 0.01, 1);
        float[] Go(ComputeDevice dev, bool normalize)
        {
            using var deg = DeviceMatrix<float>.Allocate(dev, 1, n);
            var result = Run(dev, w, n, n, (be, m) =>
            {
                be.RowSums(m, deg.All);
                if (normalize)
                    be.Normalize(m, deg.All, 1e-3);
            });
            return normalize ? result : deg.Download().Cast<float>().ToArray();
        }
        Tolerances.AssertClose(Go(Ilgpu, false), Go(Cpu, false), 1e-6, 1e-6, "degrees");
        Tolerances.AssertClose(Go(Ilgpu, true), Go(Cpu, true), 1e-7, 1e-6, "M");
    }

    [TestCase(70, 5)]
    [TestCase(70, 19)]
    [TestCase(600, 17)] // columns j + 256 of the two-column threads, and two panels
    public void SymmetricProduct_MatchesManagedTwin(int n, int b)
    {
        var a = TestData.UniformFloats(n * n, 3);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                a[i * n + j] = a[j * n + i];
        var v = TestData.UniformFloats(b * n, 4);
        float[] Go(ComputeDevice dev)
        {
            using var m = DeviceMatrix<float>.Upload(dev, a, n, n);
            return Run(dev, v, b, n, (be, vm) =>
            {
                using var y = DeviceMatrix<float>.Allocate(dev, b, n);
                be.SymmetricProduct(m, vm.All, y.All);
                be.Copy(y.All, vm.All);
            });
        }
        // float32 sums of n products of size ≤ 1 in two different orders: error ≲ n·eps ≈ 1.2e-7·n.
        Tolerances.AssertClose(Go(Ilgpu), Go(Cpu), 2e-7 * n, 1e-5, "M·V");
    }

    [Test]
    public void InnerProductsAndCombine_MatchManagedTwin()
    {
        const int n = 300, p = 3, q = 4;
        var a = TestData.UniformFloats(p * n, 5);
        var b = TestData.UniformFloats(q * n, 6);
        var s = new double[p, q];
        for (int r = 0; r < p; r++)
            for (int c = 0; c < q; c++)
                s[r, c] = r - 0.5 * c;
        double[,] G(ComputeDevice dev)
        {
            using var am = DeviceMatrix<float>.Upload(dev, a, p, n);
            using var bm = DeviceMatrix<float>.Upload(dev, b, q, n);
            return dev.Backend.InnerProducts(am.All, bm.All);
        }
        var gk = G(Ilgpu);
        var gm = G(Cpu);
        for (int r = 0; r < p; r++)
            for (int c = 0; c < q; c++)
                Assert.That(gk[r, c], Is.EqualTo(gm[r, c]).Within(1e-9 * n), $"G[{r},{c}]");
        float[] C(ComputeDevice dev, double beta)
        {
            using var am = DeviceMatrix<float>.Upload(dev, a, p, n);
            return Run(dev, b, q, n, (be, dst) => be.Combine(dst.All, beta, am.All, s));
        }
        Tolerances.AssertClose(C(Ilgpu, 0.5), C(Cpu, 0.5), 1e-6, 1e-6, "combine β=0.5");
        Tolerances.AssertClose(C(Ilgpu, 0), C(Cpu, 0), 1e-6, 1e-6, "combine β=0");
    }

    // n = 60: one tile of every tiled kernel; n = 130, d = 9: two tiles per edge and ragged ones, with features far
    // from the origin (the backward centres X as the forward does). k = 3 gives A and B rows of width 6 < one stripe.
    [TestCase(60, 7, 3, 0.0)]
    [TestCase(130, 9, 3, 20.0)]
    public void FusedRbfBackward_MatchesManagedFloat64Twin(int n, int d, int k, double offset)
    {
        const double sigma = 1.2;
        var x = TestData.UniformFloats(n * d, 8, offset - 1, offset + 1);
        var (actual, expected) = EmbeddingBackwardTwin.Run(Ilgpu, AffinityKind.Rbf, x, n, d, k, sigma);
        // float32 S (2k-term dots) and S·X (n-term sums) against float64: measured max error 2.3e-7 of max |X̄| (both cases).
        double scale = expected.Max(Math.Abs);
        for (int e = 0; e < expected.Length; e++)
            Assert.That(actual[e] - 1, Is.EqualTo(expected[e]).Within(5e-6 * scale), $"X̄[{e / d},{e % d}]");
    }

    // The cosine rule: the slope matrix by the affinity tile's CosineSlope epilogue, the same S tile, S·X̂ and the unit rows'
    // projection. n = 60 one tile, n = 130 ragged tiles; σ = 0.5 (the trace default) and 0.3; rows of mixed norms (one
    // below the norm floor's scale is not needed: the floor is 1e-8).
    [TestCase(60, 7, 3, 0.5)]
    [TestCase(130, 9, 3, 0.3)]
    public void FusedCosineBackward_MatchesManagedFloat64Twin(int n, int d, int k, double sigma)
    {
        var x = TestData.UniformFloats(n * d, 11, -1, 1);
        var (actual, expected) = EmbeddingBackwardTwin.Run(Ilgpu, AffinityKind.Cosine, x, n, d, k, sigma);
        double scale = expected.Max(Math.Abs);
        Assert.That(scale, Is.GreaterThan(0), "premise: a non-zero gradient");
        // float32 slope (an exp and a d-term dot per pair), S and S·X̂ against float64.
        for (int e = 0; e < expected.Length; e++)
            Assert.That(actual[e] - 1, Is.EqualTo(expected[e]).Within(2e-5 * scale), $"X̄[{e / d},{e % d}]");
    }
}
