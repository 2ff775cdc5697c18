// SigmaDeviceTests: the σ rule's float64 kernels (ILGPU CPU accelerator) against the host path, batched row sums, their exp, degenerate and bad input.
using NUnit.Framework;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Kernels;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
[NonParallelizable]
public class SigmaDeviceTests
{
    private ComputeDevice _ilgpu = null!;

    [OneTimeSetUp]
    public void Setup() => _ilgpu = ComputeDevice.Create(DeviceKind.IlgpuCpu);

    [OneTimeTearDown]
    public void TearDown() => _ilgpu.Dispose();

    [TestCase(AffinityKind.Rbf, 0.25, 4.0)]
    [TestCase(AffinityKind.Rbf, 0.6, 1.0)]
    [TestCase(AffinityKind.Cosine, 0.25, 4.0)]
    [TestCase(AffinityKind.Cosine, 0.1, 1.0)]
    public void DevicePath_GivesTheHostSigma(AffinityKind kind, double q, double separation)
    {
        const int n = 300, d = 16;
        var x = TestData.Convert<float>(TestData.Flatten(TestData.Blobs(n, d, 4, separation, seed: 21)));
        double host = SigmaSelection.ByDegreeQuantile<float>(x, n, d, kind, q, seed: 0);
        double device = SigmaSelection.ByDegreeQuantile<float>(x, n, d, kind, q, seed: 0, _ilgpu);
        // σ is the root of mean(σ) = target to 1e-12; the device sums the float64 pair terms in another order, so its means
        // differ from the host's in the last bits and the root-finder's iterates with them: |Δσ| ≤ 1e-12·σ (measured 2e-14).
        Assert.That(device, Is.EqualTo(host).Within(1e-12 * host));
        using var cpu = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(SigmaSelection.ByDegreeQuantile<float>(x, n, d, kind, q, seed: 0, cpu), Is.EqualTo(host), "managed device = host path");
    }

    [Test]
    public void DevicePath_OnASampledSubset_GivesTheHostSigma()
    {
        const int n = 1500, d = 5;
        var x = TestData.Convert<float>(TestData.Flatten(TestData.Blobs(n, d, 3, 5, seed: 22)));
        double host = SigmaSelection.ByDegreeQuantile<float>(x, n, d, AffinityKind.Rbf, 0.25, seed: 3);
        // As above: the device's pair sums round differently; the root agrees to 1e-12.
        Assert.That(SigmaSelection.ByDegreeQuantile<float>(x, n, d, AffinityKind.Rbf, 0.25, seed: 3, _ilgpu), Is.EqualTo(host).Within(1e-12 * host));
    }

    [TestCase(AffinityKind.Rbf)]
    [TestCase(AffinityKind.Cosine)]
    public void DevicePath_IdenticalRows_ReturnOne(AffinityKind kind)
    {
        const int n = 40, d = 3;
        var x = Enumerable.Range(0, n * d).Select(i => (float)(i % d) - 0.5f).ToArray();
        Assert.That(SigmaSelection.ByDegreeQuantile<float>(x, n, d, kind, 0.25, seed: 0, _ilgpu), Is.EqualTo(1.0));
    }

    [TestCase(AffinityKind.Rbf)]
    [TestCase(AffinityKind.Cosine)]
    public void BatchedRowSums_EqualOneSigmaPerLaunch_AndTheHost(AffinityKind kind)
    {
        const int m = 37, d = 5;
        var xs = TestData.Flatten(TestData.Blobs(m, d, 3, 4, seed: 23));
        using var device = ((IlgpuBackend)_ilgpu.Backend).SigmaRowSums(xs, m, d, kind)!;
        using var host = new HostRowSums(xs, m, d, kind);
        var one = new double[m];
        // A batch within the first room, then one longer than it (a larger room), then single σ again.
        foreach (int count in new[] { 3, IlgpuSigma.InitialBatch + 2 })
        {
            var sigmas = Enumerable.Range(0, count).Select(i => 0.3 * (i + 1)).ToArray();
            var batch = new double[count * m];
            device.RowSums(sigmas, batch);
            var hostBatch = new double[count * m];
            host.RowSums(sigmas, hostBatch);
            for (int i = 0; i < batch.Length; i++)
                Assert.That(batch[i], Is.EqualTo(hostBatch[i]).Within(1e-12 * hostBatch[i]), $"batch of {count}, element {i}");
            foreach (int b in new[] { 0, count - 1 })
            {
                device.RowSums([sigmas[b]], one);
                Assert.That(batch.AsSpan(b * m, m).ToArray(), Is.EqualTo(one), $"batch of {count}, σ = {sigmas[b]}");
            }
        }
    }

    [Test]
    public void BadInput_Throws()
    {
        var x = new float[12];
        Assert.That(() => SigmaSelection.ByDegreeQuantile<float>(x, 4, 4, AffinityKind.Rbf, 0.25, 0), Throws.ArgumentException);
        Assert.That(() => SigmaSelection.ByDegreeQuantile<float>(x, 0, 3, AffinityKind.Rbf, 0.25, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => SigmaSelection.ByDegreeQuantile<float>(x, 4, 3, AffinityKind.Rbf, double.NaN, 0, _ilgpu), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void KernelExp_IsWithinAFewUlpOfMathExp()
    {
        var rng = new Random(5);
        var xs = Enumerable.Range(0, 20000).Select(_ => -rng.NextDouble() * 740).Concat([0.0, -1e-300, -0.3465, -0.3466, -708.5, -744.0, -745.0])
            .Concat(Enumerable.Range(0, 2000).Select(_ => -rng.NextDouble() * 2));
        foreach (double x in xs)
        {
            double want = Math.Exp(x), got = SigmaKernels.Exp(x);
            double tolerance = want < 2.3e-308 ? double.Epsilon * 2 : 4 * Math.BitIncrement(want) - 4 * want;
            Assert.That(got, Is.EqualTo(want).Within(tolerance), $"exp({x:R})");
        }
        Assert.That(SigmaKernels.Exp(-800), Is.EqualTo(0.0));
        Assert.That(SigmaKernels.Exp(0), Is.EqualTo(1.0));
    }
}
