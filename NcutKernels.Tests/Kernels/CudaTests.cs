// CudaTests: the CUDA backend against the managed twins and MathNet (ignored where no CUDA device exists; gpu-check runs the same checks on the GPU machine).
using NcutKernels.Backends;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class CudaTests
{
    private ComputeDevice? _cuda;

    [OneTimeSetUp]
    public void Setup()
    {
        try
        {
            _cuda = ComputeDevice.Create(DeviceKind.Cuda);
        }
        catch (NotSupportedException)
        {
            _cuda = null;
        }
    }

    [OneTimeTearDown]
    public void TearDown() => _cuda?.Dispose();

    private ComputeDevice Cuda => _cuda ?? Ignore();

    private static ComputeDevice Ignore()
    {
        Assert.Ignore("No usable CUDA device on this machine.");
        return null!;
    }

    [TestCase(AffinityKind.Rbf)]
    [TestCase(AffinityKind.Cosine)]
    public void Affinity_MatchesManagedTwin(AffinityKind kind)
    {
        var device = Cuda;
        const int n = 700, d = 300;
        var rng = new Random(1);
        var x = Enumerable.Range(0, n * d).Select(_ => rng.NextSingle()).ToArray();
        float[] W(ComputeDevice dev)
        {
            using var xm = DeviceMatrix<float>.Upload(dev, x, n, d);
            using var w = DeviceMatrix<float>.Allocate(dev, n, n);
            dev.Backend.Affinity(xm.All, w, kind, 1 / (2.0 * 5 * 5));
            var result = new float[n * n];
            w.Download(result);
            return result;
        }
        using var cpu = ComputeDevice.Create(DeviceKind.Cpu);
        var g = W(device);
        var c = W(cpu);
        // float32 Gram sums of 300 terms in two orders: ~1e-6 absolute on W ≤ 1.
        for (int i = 0; i < g.Length; i++)
            Assert.That(g[i], Is.EqualTo(c[i]).Within(1e-5), $"W[{i / n},{i % n}]");
    }

    [Test]
    public void FitTransform_MatchesMathNet_AndIsDeterministic()
    {
        var device = Cuda;
        var x = TestData.Blobs(1000, 8, 5, separation: 6, seed: 13);
        var options = new NcutOptions { EigenvectorCount = 8, Sigma = 3 };
        var u = new Ncut(device, options).FitTransform(TestData.ToFloat(x));
        var ncut = new Ncut(device, options);
        var again = ncut.FitTransform(TestData.ToFloat(x));
        Assert.That(again, Is.EqualTo(u).AsCollection, "same seed must give identical bits");
        var (values, vectors) = TestData.TopK(TestData.Normalize(TestData.Affinity(x, false, 3)), 8);
        for (int j = 0; j < 8; j++)
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(values[j]).Within(1e-5 * Math.Abs(values[j])), $"λ{j}");
        Assert.That(TestData.SubspaceSin(vectors, TestData.Matrix(u)), Is.LessThan(1e-4));
    }

    [Test]
    public void DisconnectedComponents_GiveEigenvalueOneRepeated()
    {
        var device = Cuda;
        var x = TestData.ToFloat(TestData.Blobs(2000, 3, 4, separation: 60, seed: 4, spread: 0.7));
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 6, Sigma = 1 });
        ncut.FitTransform(x);
        for (int j = 0; j < 4; j++)
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(1.0).Within(1e-5), $"λ{j}");
        Assert.That(ncut.Eigenvalues[4], Is.LessThan(1 - 1e-3));
    }
}
