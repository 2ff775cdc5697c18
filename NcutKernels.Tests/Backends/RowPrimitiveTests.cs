// RowPrimitiveTests: Backend.GatherRows, FirstNonFinite, MaxAbs, FinishClassic, ColumnSums and ScaleColumns on the managed backend and ILGPU's CPU accelerator against direct host loops, and their bad arguments.
using NcutKernels.Backends;
using NcutKernels.Runtime;
using NUnit.Framework;

namespace NcutKernels.Tests.Backends;

[TestFixture]
[NonParallelizable]
public class RowPrimitiveTests : CpuAndIlgpuFixture
{
    private ComputeDevice Device(string name) => name == "cpu" ? Cpu : Ilgpu;

    [TestCase("cpu")]
    [TestCase("ilgpu")]
    public void GatherRows_CopiesTheListedRowsInOrder(string device)
    {
        var dev = Device(device);
        const int n = 37, d = 5;
        var x = TestData.GaussianFloats(n * d, 1);
        int[] rows = [36, 0, 5, 5, 17];
        using var xm = DeviceMatrix<float>.Upload(dev, x, n, d);
        using var dst = DeviceMatrix<float>.Allocate(dev, rows.Length, d);
        dev.Backend.GatherRows(xm.All, rows, dst.All);
        var got = dst.Download();
        for (int r = 0; r < rows.Length; r++)
            for (int c = 0; c < d; c++)
                Assert.That(got[r, c], Is.EqualTo(x[rows[r] * d + c]), $"row {r}, column {c}");
        Assert.That(() => dev.Backend.GatherRows(xm.All, [0, 37, 1, 2, 3], dst.All), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("37"));
        Assert.That(() => dev.Backend.GatherRows(xm.All, [0, 1], dst.All), Throws.ArgumentException);
    }

    [TestCase("cpu")]
    [TestCase("ilgpu")]
    public void ColumnSums_AndScaleColumns_MatchHostLoops_OnARowRange(string device)
    {
        var dev = Device(device);
        const int n = 301, d = 6;
        var x = TestData.GaussianFloats(n * d, 4);
        using var xm = DeviceMatrix<float>.Upload(dev, x, n, d);
        var range = xm.RowRange(7, 250);
        var sums = dev.Backend.ColumnSums(range);
        for (int c = 0; c < d; c++)
        {
            double expected = Enumerable.Range(7, 250).Sum(r => (double)x[r * d + c]);
            // float64 sums in a fixed order; ILGPU passes them through a float32 mean: |Δ| ≤ 1e-6·Σ|x|.
            Assert.That(sums[c], Is.EqualTo(expected).Within(1e-6 * Enumerable.Range(7, 250).Sum(r => Math.Abs(x[r * d + c]))), $"column {c}");
        }
        double[] factors = [-1, 1, 0.5, -2, 1, 3];
        dev.Backend.ScaleColumns(range, factors);
        var got = xm.Download();
        for (int r = 0; r < n; r++)
            for (int c = 0; c < d; c++)
            {
                float expected = r is >= 7 and < 257 ? (float)(x[r * d + c] * factors[c]) : x[r * d + c];
                Assert.That(got[r, c], Is.EqualTo(expected), $"row {r}, column {c}: only the range is scaled, exactly");
            }
        Assert.That(() => dev.Backend.ScaleColumns(range, [1, 2]), Throws.ArgumentException.With.Message.Contains("2 factors for 6 columns"));
        Assert.That(() => dev.Backend.ScaleColumns(range, [1, 1, 1, double.NaN, 1, 1]),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("factors"));
    }

    [TestCase("cpu")]
    [TestCase("ilgpu")]
    public void MaxAbs_IsTheLargestMagnitude_OfARowRange(string device)
    {
        var dev = Device(device);
        const int n = 300, d = 7;
        var x = TestData.GaussianFloats(n * d, 5);
        x[150 * d + 3] = -1e30f;
        x[299 * d + 6] = 7e30f;
        using var m = DeviceMatrix<float>.Upload(dev, x, n, d);
        Assert.That(dev.Backend.MaxAbs(m.All), Is.EqualTo(7e30f));
        Assert.That(dev.Backend.MaxAbs(m.RowRange(0, 299)), Is.EqualTo(1e30f), "a negative extreme counts by magnitude");
        Assert.That(dev.Backend.MaxAbs(m.RowRange(0, 100)), Is.EqualTo(Enumerable.Range(0, 100 * d).Max(i => Math.Abs(x[i]))));
        using var zeros = DeviceMatrix<float>.Allocate(dev, 3, 2);
        dev.Backend.ScaleColumns(zeros.All, [0, 0]);
        Assert.That(dev.Backend.MaxAbs(zeros.All), Is.EqualTo(0));
    }

    [TestCase("cpu")]
    [TestCase("ilgpu")]
    public void FirstNonFinite_FindsTheLowestNaNOrInfinity(string device)
    {
        var dev = Device(device);
        const int n = 300, d = 7;
        var x = TestData.GaussianFloats(n * d, 2);
        using (var clean = DeviceMatrix<float>.Upload(dev, x, n, d))
            Assert.That(dev.Backend.FirstNonFinite(clean.All), Is.EqualTo(-1));
        foreach (var (late, early, value) in new[] { (2099, 1500, float.NaN), (1200, 41, float.NegativeInfinity), (2099, 2099, float.PositiveInfinity) })
        {
            var bad = (float[])x.Clone();
            bad[late] = float.NaN;
            bad[early] = value;
            using var m = DeviceMatrix<float>.Upload(dev, bad, n, d);
            Assert.That(dev.Backend.FirstNonFinite(m.All), Is.EqualTo(early), $"{value} at {early}");
            if (early / d + 1 < n)
                Assert.That(dev.Backend.FirstNonFinite(m.RowRange(early / d + 1, n - early / d - 1)), Is.EqualTo(late - (early / d + 1) * d),
                    "a row range reports its own offsets");
        }
    }

    [TestCase("cpu")]
    [TestCase("ilgpu")]
    public void FinishClassic_ScalesByTheRowsTotalWeight(string device)
    {
        var dev = Device(device);
        const int rows = 9, k = 3;
        var sums = TestData.GaussianFloats(rows * (k + 1), 3).Select(Math.Abs).ToArray();
        sums[4 * (k + 1) + k] = 0;   // a row with no weight → zeros
        using var s = DeviceMatrix<float>.Upload(dev, sums, rows, k + 1);
        using var o = DeviceMatrix<float>.Allocate(dev, rows, k);
        dev.Backend.FinishClassic(s.All, 40, o.All);
        var got = o.Download();
        for (int r = 0; r < rows; r++)
        {
            double total = sums[r * (k + 1) + k] * 40.0, scale = total > 1e-30 ? 40 / Math.Sqrt(total) : 0;
            for (int c = 0; c < k; c++)
                Assert.That(got[r, c], Is.EqualTo(sums[r * (k + 1) + c] * scale).Within(1e-6 + 1e-5 * Math.Abs(sums[r * (k + 1) + c] * scale)), $"row {r}, column {c}");
        }
        Assert.That(() => dev.Backend.FinishClassic(s.All, 0, o.All), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("count"));
        Assert.That(() => dev.Backend.FinishClassic(o.All, 40, o.All), Throws.ArgumentException);
    }
}
