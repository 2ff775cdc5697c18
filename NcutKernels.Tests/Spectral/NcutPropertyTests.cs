// NcutPropertyTests: λ1 = 1 with u1 ∝ √d, repeated eigenvalues of disconnected graphs, determinism, sign convention.
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class NcutPropertyTests
{
    [Test]
    public void LeadingPair_IsOneAndSqrtDegree()
    {
        var x = TestData.Blobs(300, 5, 3, separation: 3, seed: 2);
        const double sigma = 2;
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 4, Sigma = sigma });
        var u = ncut.FitTransform(x);
        Assert.That(ncut.Eigenvalues[0], Is.EqualTo(1.0).Within(1e-10));
        var deg = TestData.Affinity(x, false, sigma).RowSums();
        double norm = Math.Sqrt(deg.Sum());
        for (int i = 0; i < 300; i++)
            Assert.That(u[i, 0], Is.EqualTo(Math.Sqrt(deg[i]) / norm).Within(1e-9));
    }

    [TestCase(3, DeviceKind.Cpu)]
    [TestCase(5, DeviceKind.Cpu)]
    [TestCase(3, DeviceKind.IlgpuCpu)]
    public void DisconnectedComponents_GiveEigenvalueOneRepeated(int components, DeviceKind kind)
    {
        // Blobs 60 apart with σ = 1: cross affinities exp(−1800) = 0 in float64, so M is block diagonal
        // and eigenvalue 1 has multiplicity exactly `components`.
        // ILGPU's CPU accelerator emulates every barrier: keep its case small (still above the dense fallback).
        int n = kind == DeviceKind.Cpu ? 240 : 130;
        var x = TestData.Blobs(n, 3, components, separation: 60, seed: 4, spread: 0.7);
        int k = components + 2;
        using var device = ComputeDevice.Create(kind);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = k, Sigma = 1 });
        var u = kind == DeviceKind.Cpu ? TestData.Matrix(ncut.FitTransform(x)) : TestData.Matrix(ncut.FitTransform(TestData.ToFloat(x)));
        Assert.That(ncut.Report!.Dense, Is.False, "must exercise Lanczos");
        var m = TestData.Normalize(TestData.Affinity(x, false, 1));
        var (values, vectors) = TestData.TopK(m, k);
        // float32: blobs 60 apart leave ‖x‖² ≈ 1e3 after centring, so the Gram expansion rounds d² by
        // ~1e-4 at σ = 1 and the non-unit eigenvalues move by a few 1e-5 (the solver itself meets 1e-5).
        double tol = kind == DeviceKind.Cpu ? 1e-9 : 1e-4;
        for (int j = 0; j < components; j++)
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(1.0).Within(tol), $"λ{j}");
        for (int j = components; j < k; j++)
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(values[j]).Within(tol), $"λ{j}");
        // The eigenspace of λ = 1 is spanned by the components' √degree vectors: compare subspaces.
        Assert.That(TestData.SubspaceSin(vectors.SubMatrix(0, n, 0, components), u.SubMatrix(0, n, 0, components)),
            Is.LessThan(kind == DeviceKind.Cpu ? 1e-7 : 1e-3));
    }

    [TestCase(DeviceKind.Cpu)]
    [TestCase(DeviceKind.IlgpuCpu)]
    public void SameSeed_GivesBitIdenticalOutput(DeviceKind kind)
    {
        var x = TestData.ToFloat(TestData.Blobs(kind == DeviceKind.Cpu ? 200 : 120, 6, 4, separation: 4, seed: 3));
        float[,] Run(int seed)
        {
            using var device = ComputeDevice.Create(kind);
            var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 2, Seed = seed });
            var u = ncut.FitTransform(x);
            Assert.That(ncut.Report!.Dense, Is.False, "must exercise Lanczos");
            return u;
        }
        var a = Run(7);
        var b = Run(7);
        Assert.That(b, Is.EqualTo(a).AsCollection, "same seed must give identical bits");
    }

    [Test]
    public void EveryColumnSum_IsNonNegative()
    {
        var x = TestData.Blobs(250, 4, 5, separation: 4, seed: 9);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var u = new Ncut(device, new NcutOptions { EigenvectorCount = 8, Sigma = 2 }).FitTransform(x);
        for (int j = 0; j < 8; j++)
            Assert.That(Enumerable.Range(0, 250).Sum(i => u[i, j]), Is.GreaterThanOrEqualTo(0), $"column {j}");
    }

    [Test]
    public void Cosine_MatchesMathNet()
    {
        var x = TestData.Blobs(300, 6, 3, separation: 3, seed: 21);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 4, Affinity = AffinityKind.Cosine });
        var u = TestData.Matrix(ncut.FitTransform(x));
        Assert.That(ncut.Sigma, Is.EqualTo(NcutOptions.DefaultCosineSigma));
        var (values, vectors) = TestData.TopK(TestData.Normalize(TestData.Affinity(x, true, ncut.Sigma)), 4);
        for (int j = 0; j < 4; j++)
            Assert.That(ncut.Eigenvalues[j], Is.EqualTo(values[j]).Within(1e-10));
        Assert.That(TestData.SubspaceSin(vectors, u), Is.LessThan(1e-7));
    }
}
