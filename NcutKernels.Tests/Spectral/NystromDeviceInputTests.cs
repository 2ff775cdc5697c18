// NystromDeviceInputTests: NystromNcut on device-resident features (DeviceMatrix in, DeviceMatrix out) equals the host-array path — every propagation, both samplings, the exact path, ILGPU — and rejects bad device input.
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
[NonParallelizable]
public class NystromDeviceInputTests : CpuFixture
{
    [TestCase(NystromPropagation.Classic, LandmarkSampling.Uniform, 10240)]
    [TestCase(NystromPropagation.NcutPytorch, LandmarkSampling.FarthestPoint, 10240)] // m = 300: every row a candidate, x downloaded
    [TestCase(NystromPropagation.Renormalized, LandmarkSampling.FarthestPoint, 100)]  // m = 100: 400 candidate rows gathered on the device
    public void DeviceInput_EqualsHostArrays(NystromPropagation mode, LandmarkSampling sampling, int sampleCount)
    {
        var x = TestData.ToFloat(TestData.Blobs(1200, 10, 4, separation: 4, seed: 3));
        var options = new NcutOptions { EigenvectorCount = 4, Seed = 5 };
        var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = mode, Sampling = sampling, ChunkRows = 250, SampleCount = sampleCount };
        using var host = new NystromNcut(Cpu, options, nystrom);
        var expected = host.FitTransform(x);
        using var xd = DeviceMatrix<float>.Upload(Cpu, x);
        using var device = new NystromNcut(Cpu, options, nystrom);
        using var u = device.FitTransform(xd);
        Assert.That(device.LandmarkIndices, Is.EqualTo(host.LandmarkIndices), "same landmarks");
        Assert.That(u.Download(), Is.EqualTo(expected), "same bits as the host-array path");
        using var again = device.Transform(xd);
        Assert.That(again.Download(), Is.EqualTo(expected), "Transform of the fitted rows");
        Assert.That(device.Timings!.PropagationMs, Is.GreaterThan(0));
    }

    [Test]
    public void DeviceInput_ExactPath_ReturnsTheExactEmbeddingOnTheDevice()
    {
        var x = TestData.Blobs(300, 5, 3, separation: 4, seed: 4);
        var options = new NcutOptions { EigenvectorCount = 3 };
        using var expectedNcut = new NystromNcut(Cpu, options);
        var expected = expectedNcut.FitTransform(x);
        using var xd = DeviceMatrix<double>.Upload(Cpu, x);
        using var device = new NystromNcut(Cpu, options);
        using var u = device.FitTransform(xd);
        Assert.That(device.Path, Is.EqualTo(EmbeddingPath.Exact));
        Assert.That(u.Download(), Is.EqualTo(expected));
    }

    [Test]
    public void IlgpuDevice_DeviceInputEqualsItsHostArrays()
    {
        var x = TestData.ToFloat(TestData.Blobs(160, 4, 3, separation: 5, seed: 9));
        var options = new NcutOptions { EigenvectorCount = 3, Sigma = 2 };
        using var ilgpu = ComputeDevice.Create(DeviceKind.IlgpuCpu);
        foreach (var mode in new[] { NystromPropagation.Classic, NystromPropagation.NcutPytorch })
        {
            var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = mode, Sampling = LandmarkSampling.FarthestPoint };
            using var expectedNcut = new NystromNcut(ilgpu, options, nystrom);
            var expected = expectedNcut.FitTransform(x);
            using var xd = DeviceMatrix<float>.Upload(ilgpu, x);
            using var uNcut = new NystromNcut(ilgpu, options, nystrom);
            using var u = uNcut.FitTransform(xd);
            Assert.That(u.Download(), Is.EqualTo(expected), mode.ToString());
        }
    }

    [Test]
    public void BadDeviceInput_ThrowsNamingTheProblem()
    {
        var x = TestData.ToFloat(TestData.Blobs(400, 3, 2, separation: 4, seed: 2));
        using var nystrom = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 2 }, new NystromOptions { Path = EmbeddingPath.Nystrom });
        using (var unfitted = DeviceMatrix<float>.Allocate(Cpu, 4, 3))
            Assert.That(() => nystrom.Transform(unfitted), Throws.InvalidOperationException, "no fit yet");
        var bad = (float[,])x.Clone();
        bad[123, 2] = float.PositiveInfinity;
        using (var xb = DeviceMatrix<float>.Upload(Cpu, bad))
            Assert.That(() => nystrom.FitTransform(xb), Throws.ArgumentException.With.Property("ParamName").EqualTo("x")
                .And.Message.Contains("row 123, column 2").And.Message.Contains(float.PositiveInfinity.ToString()));
        using var ilgpu = ComputeDevice.Create(DeviceKind.IlgpuCpu);
        using (var elsewhere = DeviceMatrix<float>.Upload(ilgpu, x))
            Assert.That(() => nystrom.FitTransform(elsewhere), Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("same ComputeDevice"));
        var disposed = DeviceMatrix<float>.Upload(Cpu, x);
        disposed.Dispose();
        Assert.That(() => nystrom.FitTransform(disposed), Throws.InstanceOf<ObjectDisposedException>());
        using (var one = DeviceMatrix<float>.Allocate(Cpu, 1, 3))
            Assert.That(() => nystrom.FitTransform(one), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("x").And.Message.Contains("1×3"));
        using var good = DeviceMatrix<float>.Upload(Cpu, x);
        nystrom.Fit(good);
        using var narrow = DeviceMatrix<float>.Allocate(Cpu, 4, 2);
        Assert.That(() => nystrom.Transform(narrow), Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("d = 3"));
    }

    [Test]
    public void Dispose_FreesTheFitAndRejectsFurtherUse()
    {
        var x = TestData.ToFloat(TestData.Blobs(400, 3, 2, separation: 4, seed: 2));
        var nystrom = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 2 }, new NystromOptions { Path = EmbeddingPath.Nystrom });
        using var xd = DeviceMatrix<float>.Upload(Cpu, x);
        nystrom.Fit(xd);
        var eigenvalues = nystrom.Eigenvalues;
        Assert.That(nystrom.HoldsDeviceMemory, Is.True, "the fit lives on the device");
        nystrom.Dispose();
        Assert.That(nystrom.HoldsDeviceMemory, Is.False, "Dispose frees it");
        nystrom.Dispose();
        Assert.That(() => nystrom.Transform(x), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => nystrom.Transform(xd), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => nystrom.Fit(x), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(nystrom.Eigenvalues, Is.EqualTo(eigenvalues), "the fitted properties stay readable");
    }

    /// <summary>
    /// A fit from device-resident float32 rows keeps its landmarks only on the device; a float64 transform converts them (same
    /// anchors, σ and values), and a float32 transform after it converts them back and gives the same bits.
    /// </summary>
    [TestCase(NystromPropagation.Classic)]
    [TestCase(NystromPropagation.Renormalized)]
    public void TransformInAnotherElementType_UsesTheSameFit(NystromPropagation mode)
    {
        var x = TestData.ToFloat(TestData.Blobs(900, 6, 3, separation: 4, seed: 12));
        var nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom, Propagation = mode, SampleCount = 200, AnchorCount = 64 };
        using var ncut = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 3, Seed = 4 }, nystrom);
        using var xd = DeviceMatrix<float>.Upload(Cpu, x);
        using var u = ncut.FitTransform(xd);
        var first = u.Download();
        var wide = ncut.Transform(TestData.ToDouble(x));
        // float32 landmark data and float32 eigenvectors, summed in float64 here: agreement to float32 rounding of the result.
        const double atol = 1e-6, rtol = 1e-4;
        for (int i = 0; i < first.GetLength(0); i++)
            for (int c = 0; c < first.GetLength(1); c++)
                Assert.That(Math.Abs(wide[i, c] - first[i, c]), Is.LessThanOrEqualTo(atol + rtol * Math.Abs(wide[i, c])), $"row {i}, column {c}");
        Assert.That(ncut.Transform(x), Is.EqualTo(first), "float32 again: the same bits");
    }

    /// <summary>
    /// A float64 fit keeps its float64 state: a float32 transform works on a converted copy, and float64 transforms before and
    /// after it give the same bits (on the exact path too, where the first transform puts the fit on the device).
    /// </summary>
    [TestCase(NystromPropagation.Classic, EmbeddingPath.Nystrom)]
    [TestCase(NystromPropagation.Renormalized, EmbeddingPath.Nystrom)]
    [TestCase(NystromPropagation.Classic, EmbeddingPath.Exact)]
    public void FloatTransformBetweenDoubleOnes_LeavesTheFitAlone(NystromPropagation mode, EmbeddingPath path)
    {
        var x = TestData.Blobs(600, 5, 3, separation: 4, seed: 13);
        var nystrom = new NystromOptions { Path = path, Propagation = mode, SampleCount = 150, AnchorCount = 48 };
        using var ncut = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 3, Seed = 2 }, nystrom);
        ncut.Fit(x);
        var before = ncut.Transform(x);
        var narrow = ncut.Transform(TestData.ToFloat(x));
        Assert.That(narrow[17, 1], Is.EqualTo(before[17, 1]).Within(1e-5 + 1e-4 * Math.Abs(before[17, 1])), "float32 rounding only");
        Assert.That(ncut.Transform(x), Is.EqualTo(before), "float64 after a float32 transform: the same bits");
    }
}
