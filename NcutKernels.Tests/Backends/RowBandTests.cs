// RowBandTests: the row-wise ILGPU launches split into bands of 7 rows (RowBands) on ILGPU's CPU accelerator give exactly the single-launch results (affinity prep, normalization, the fused backward, anchor centring) or the host copy (GatherRows), and RowBands' cover of the rows.
using NUnit.Framework;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Backends;

[TestFixture]
[NonParallelizable]
public class RowBandTests
{
    /// <summary>Rows per launch of the banded device: every case below spans several bands and a ragged last one.</summary>
    private const int Band = 7;

    private ComputeDevice _banded = null!;
    private ComputeDevice _single = null!;

    [OneTimeSetUp]
    public void Setup()
    {
        _banded = ComputeDevice.CreateIlgpuCpu(Band);
        _single = ComputeDevice.Create(DeviceKind.IlgpuCpu);
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _banded.Dispose();
        _single.Dispose();
    }

    // Each case runs on the banded device first: its temporaries cannot inherit the single launch's rows from freed memory,
    // so a band written at the wrong rows leaves rows that differ.

    [Test]
    public void RowBands_CoverTheRowsInOrder()
    {
        Assert.That(RowBands.Of(3, 20, Band).Select(b => (b.Extent.X, b.Extent.Y, b.Row0)), Is.EqualTo(new[] { (3, 7, 0), (3, 7, 7), (3, 6, 14) }));
        Assert.That(RowBands.Of(3, 0, Band), Is.Empty);
        // Wide rows: fewer rows per band, so one launch stays within int.MaxValue threads.
        var wide = RowBands.Of(100_000, 70_000, RowBands.MaxGridRows).ToArray();
        Assert.That(wide.Select(b => b.Extent.Y), Has.All.EqualTo(int.MaxValue / 100_000).Or.EqualTo(70_000 % (int.MaxValue / 100_000)));
        Assert.That(wide.Select(b => b.Row0), Is.EqualTo(wide.Select((_, i) => i * (int.MaxValue / 100_000))));
        var tall = RowBands.Of(1, int.MaxValue, RowBands.MaxGridRows).Last();
        Assert.That((long)tall.Row0 + tall.Extent.Y, Is.EqualTo(int.MaxValue), "the last band ends at the last row (no overflow)");
    }

    [TestCase(AffinityKind.Rbf)]    // SubtractMeans (centring)
    [TestCase(AffinityKind.Cosine)] // NormalizeRows
    public void Affinity_InBands_EqualsOneLaunch(AffinityKind kind)
    {
        const int n = 37, d = 11;
        var x = TestData.UniformFloats(n * d, 101, 4, 6);
        float[] W(ComputeDevice dev)
        {
            using var xm = DeviceMatrix<float>.Upload(dev, x, n, d);
            using var w = DeviceMatrix<float>.Allocate(dev, n, n);
            dev.Backend.Affinity(xm.All, w, kind, 0.3);
            var result = new float[n * n];
            w.Download(result);
            return result;
        }
        var banded = W(_banded);
        Assert.That(banded, Is.EqualTo(W(_single)).AsCollection);
    }

    [Test]
    public void Normalize_InBands_EqualsOneLaunch()
    {
        const int n = 23;
        var w = TestData.UniformFloats(n * n, 102, 0.01, 1);
        float[] M(ComputeDevice dev)
        {
            using var wm = DeviceMatrix<float>.Upload(dev, w, n, n);
            using var degrees = DeviceMatrix<float>.Allocate(dev, 1, n);
            dev.Backend.RowSums(wm, degrees.All);
            dev.Backend.Normalize(wm, degrees.All, 1e-3);
            var result = new float[n * n];
            wm.Download(result);
            return result;
        }
        var banded = M(_banded);
        Assert.That(banded, Is.EqualTo(M(_single)).AsCollection);
    }

    [Test]
    public void FusedRbfBackward_InBands_EqualsOneLaunch()
    {
        // CenterColumns (SubtractMeans) and AccumulateFeatureGradient run in bands; X̄ is added to gx.
        const int n = 20, d = 5, k = 2;
        const double sigma = 1.1;
        var x = TestData.UniformFloats(n * d, 103, 9, 11);
        var w = TestData.UniformFloats(n * n, 104, 0.05, 1);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                w[i * n + j] = w[j * n + i];
        var degrees = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Sum(j => (double)w[i * n + j])).ToArray();
        var y = TestData.UniformFloats(n * k, 105).Select(v => (double)v).ToArray();
        var u = TestData.UniformFloats(n * k, 106).Select(v => (double)v / Math.Sqrt(n)).ToArray();
        double[] Gx(ComputeDevice dev)
        {
            var gx = Enumerable.Range(0, n * d).Select(e => 0.01 * e).ToArray();
            using var xm = DeviceMatrix<float>.Upload(dev, x, n, d);
            using var wm = DeviceMatrix<float>.Upload(dev, w, n, n);
            dev.Backend.AccumulateEmbeddingGradient(AffinityKind.Rbf, xm.All, wm, degrees, y, u, sigma, gx);
            return gx;
        }
        var banded = Gx(_banded);
        Assert.That(banded, Is.EqualTo(Gx(_single)).AsCollection);
    }

    [Test]
    public void GatherRows_InBands_CopiesTheListedRows()
    {
        const int n = 31, d = 6;
        var x = TestData.UniformFloats(n * d, 107);
        int[] rows = [30, 0, 5, 5, 17, 29, 1, 2, 3, 4, 12, 11, 10, 9, 8, 30, 22, 0, 7, 6];
        using var xm = DeviceMatrix<float>.Upload(_banded, x, n, d);
        using var dst = DeviceMatrix<float>.Allocate(_banded, rows.Length, d);
        _banded.Backend.GatherRows(xm.All, rows, dst.All);
        var expected = rows.SelectMany(r => x.Skip(r * d).Take(d)).ToArray();
        var got = new float[rows.Length * d];
        dst.Download(got);
        Assert.That(got, Is.EqualTo(expected).AsCollection);
    }

    // The anchor side's centring (IlgpuNystrom's SubtractMeans over a = 30 anchors) under both propagation paths:
    // every anchor with degrees (the classic extension's) and the 3 nearest.
    [TestCase(30, true)]
    [TestCase(3, false)]
    public void PropagateNearest_InBands_EqualsOneLaunch(int neighbours, bool degrees)
    {
        const int n = 10, a = 30, d = 5, k = 2;
        var x = TestData.UniformFloats(n * d, 108, 19, 21);
        var anchors = TestData.UniformFloats(a * d, 109, 19, 21);
        var values = TestData.UniformFloats(a * k, 110);
        var deg = degrees ? TestData.UniformFloats(a, 111, 0.5, 1.5).Select(v => (double)v).ToArray() : null;
        float[] Output(ComputeDevice dev)
        {
            using var xm = DeviceMatrix<float>.Upload(dev, x, n, d);
            using var am = DeviceMatrix<float>.Upload(dev, anchors, a, d);
            using var vm = DeviceMatrix<float>.Upload(dev, values, a, k);
            using var om = DeviceMatrix<float>.Allocate(dev, n, k);
            dev.Backend.PropagateNearest(xm.All, am.All, vm.All, deg, 0.9, neighbours, om.All);
            var result = new float[n * k];
            om.Download(result);
            return result;
        }
        var banded = Output(_banded);
        Assert.That(banded, Is.EqualTo(Output(_single)).AsCollection);
    }
}
