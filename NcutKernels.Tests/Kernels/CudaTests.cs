// CudaTests: the CUDA backend against the managed twins, MathNet and the float64 gradient (ignored where no CUDA device exists; gpu-check runs the same checks on the GPU machine).
using NUnit.Framework;
using NcutKernels.Autodiff;
using NcutKernels.Backends;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Solvers;
using NcutKernels.Spectral;

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
        var x = TestData.UniformSingles(n * d, 1);
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

    [Test]
    public void Gradient_MatchesCpuFloat64()
    {
        // The differentiable embedding on CUDA in float32 (device CG products, the fused backward kernels) against the
        // managed backend in float64: 10 separated but connected blobs (σ = √d), loss Σ c∘U².
        var device = Cuda;
        const int n = 1000, d = 64, k = 10;
        var x = TestData.Blobs(n, d, k, separation: 3, seed: 21);
        var c = TestData.Weights(n, k, 2);
        (double[] grad, EigenGradientReport report) Grad<T>(ComputeDevice dev, T[,] input) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            using var tape = new Tape<T>(dev);
            var v = tape.Input(input);
            var ncut = new Ncut(dev, new NcutOptions { EigenvectorCount = k, Sigma = Math.Sqrt(d) });
            var (u, _) = ncut.FitTransform(v);
            tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(TestData.Convert<T>(c)))));
            return (v.Gradient.Cast<T>().Select(double.CreateChecked).ToArray(), ncut.GradientReport!);
        }
        using var cpu = ComputeDevice.Create(DeviceKind.Cpu);
        var (g32, r32) = Grad(device, TestData.ToFloat(x));
        var (g64, r64) = Grad(cpu, x);
        Assert.That(r64.CgConverged, Is.True, r64.ToString());
        double num = 0, den = 0;
        for (int i = 0; i < g64.Length; i++)
        {
            num += (g32[i] - g64[i]) * (g32[i] - g64[i]);
            den += g64[i] * g64[i];
        }
        Assert.That(g32.All(double.IsFinite), Is.True);
        // The same kernels on ILGPU's CPU accelerator: 4.4e-6 (float32 CG to residual 9.2e-7 in 4 iterations).
        Assert.That(Math.Sqrt(num / den), Is.LessThan(1e-3), $"relative Frobenius error of dX; CUDA: {r32}; CPU: {r64}");
    }

    [TestCase(NystromPropagation.Classic)]
    [TestCase(NystromPropagation.Renormalized)]
    public void Nystrom_DeviceResidentInput_EqualsHostArrays(NystromPropagation propagation)
    {
        var cuda = Cuda;
        var x = TestData.ToFloat(TestData.Blobs(20000, 32, 8, separation: 4, seed: 41));
        var options = new NcutOptions { EigenvectorCount = 8 };
        var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = propagation };
        using var expectedNcut = new NystromNcut(cuda, options, nystrom);
        var expected = expectedNcut.FitTransform(x);
        using var xd = DeviceMatrix<float>.Upload(cuda, x);
        using var uNcut = new NystromNcut(cuda, options, nystrom);
        using var u = uNcut.FitTransform(xd);
        // Rows are independent of the batch they come in (fixed summation order per row), so one call on all rows equals chunked uploads.
        Assert.That(u.Download(), Is.EqualTo(expected));
    }
}
