// NystromPrimitiveTests: Backend.FarthestPointSample and Backend.PropagateNearest against brute-force references (ties, both denominators), row independence, Backend.ClassicValues bit for bit against the host formula it replaces, the ILGPU device paths and bad arguments.
using NUnit.Framework;
using NUnit.Framework.Constraints;
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Backends;

[TestFixture]
[NonParallelizable]
public class NystromPrimitiveTests : CpuAndIlgpuFixture
{
    /// <summary>The contract, literally: direct squared distances, stable sort by (distance, index), first `neighbours`, weights, sum, denominator.</summary>
    private static double[] Naive(double[] x, int n, double[] anchors, int a, int d, double[] values, int k, double[]? degrees, double sigma, int neighbours)
    {
        var output = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            var dist = Enumerable.Range(0, a).Select(j => Enumerable.Range(0, d).Sum(e => (x[i * d + e] - anchors[j * d + e]) * (x[i * d + e] - anchors[j * d + e]))).ToArray();
            var nearest = Enumerable.Range(0, a).OrderBy(j => dist[j]).ThenBy(j => j).Take(neighbours).ToArray();
            double denominator = 0;
            foreach (int j in nearest)
            {
                double w = Math.Exp(-dist[j] / (2 * sigma * sigma));
                for (int c = 0; c < k; c++)
                    output[i * k + c] += w * values[j * k + c];
                denominator += degrees?[j] ?? w;
            }
            if (degrees is null)
                denominator = Math.Max(denominator, AffinityMath.WeightFloor);
            for (int c = 0; c < k; c++)
                output[i * k + c] /= denominator;
        }
        return output;
    }

    private static T[] Propagate<T>(ComputeDevice device, T[] x, int n, T[] anchors, int a, int d, T[] values, int k, double[]? degrees, double sigma,
        int neighbours) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        using var xm = DeviceMatrix<T>.Upload(device, x, n, d);
        using var am = DeviceMatrix<T>.Upload(device, anchors, a, d);
        using var vm = DeviceMatrix<T>.Upload(device, values, a, k);
        using var om = DeviceMatrix<T>.Allocate(device, n, k);
        device.Backend.PropagateNearest(xm.All, am.All, vm.All, degrees, sigma, neighbours, om.All);
        var result = new T[n * k];
        om.Download(result);
        return result;
    }

    // n = 57 spans two tiles of 32 rows with a ragged group of four; a = 23 is odd and ends inside a panel.
    [TestCase(57, 23, 5, 3, 4, false)]
    [TestCase(57, 23, 5, 3, 4, true)]
    [TestCase(57, 23, 5, 3, 23, false)] // every anchor a neighbour: the vectorized all-anchors path
    [TestCase(57, 23, 5, 3, 23, true)]
    [TestCase(40, 130, 9, 2, 32, false)] // several anchor panels
    public void PropagateNearest_Float64_MatchesBruteForce(int n, int a, int d, int k, int neighbours, bool withDegrees)
    {
        var x = TestData.Gaussians(n * d, 1);
        var anchors = TestData.Gaussians(a * d, 2);
        var values = TestData.Gaussians(a * k, 3);
        var degrees = withDegrees ? TestData.Sequence(a, 4, rng => 0.1 + rng.NextDouble()) : null;
        const double sigma = 1.7;
        var actual = Propagate(Cpu, x, n, anchors, a, d, values, k, degrees, sigma, neighbours);
        // Distances by the expansion vs direct differences: a few ulps of ‖x‖² ≈ 10, so the weights agree to ~1e-14 relative.
        Tolerances.AssertClose(actual, Naive(x, n, anchors, a, d, values, k, degrees, sigma, neighbours), 1e-13, 1e-11, "output");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void PropagateNearest_Ties_GoToTheLowerAnchorIndex(bool withDegrees)
    {
        // Coordinates in {0, 1, 2} (exact in both distance formulas), repeated anchors: many equal distances at the cut.
        const int n = 60, a = 25, d = 2, neighbours = 3;
        var x = TestData.Sequence<double>(n * d, 5, rng => rng.Next(3));
        var anchors = TestData.Sequence<double>(a * d, 6, rng => rng.Next(3));
        // values = identity: output[i, j] ≠ 0 exactly when anchor j is among row i's neighbours, so the chosen set is visible.
        var values = new double[a * a];
        for (int j = 0; j < a; j++)
            values[j * a + j] = 1;
        var degrees = withDegrees ? TestData.Sequence(a, 7, rng => 0.5 + rng.NextDouble()) : null;
        var actual = Propagate(Cpu, x, n, anchors, a, d, values, a, degrees, 1.0, neighbours);
        var expected = Naive(x, n, anchors, a, d, values, a, degrees, 1.0, neighbours);
        for (int e = 0; e < actual.Length; e++)
            Assert.That(actual[e] != 0, Is.EqualTo(expected[e] != 0), $"row {e / a}: anchor {e % a} chosen");
        Tolerances.AssertClose(actual, expected, 1e-15, 1e-13, "output");
    }

    [Test]
    public void PropagateNearest_Float32_MatchesBruteForceOnTheWidenedValues()
    {
        const int n = 45, a = 30, d = 7, k = 4, neighbours = 6;
        var x = TestData.Convert<float>(TestData.Gaussians(n * d, 8));
        var anchors = TestData.Convert<float>(TestData.Gaussians(a * d, 9));
        var values = TestData.Convert<float>(TestData.Gaussians(a * k, 10));
        var actual = Propagate(Cpu, x, n, anchors, a, d, values, k, null, 2.0, neighbours);
        var expected = Naive(Array.ConvertAll(x, v => (double)v), n, Array.ConvertAll(anchors, v => (double)v), a, d,
            Array.ConvertAll(values, v => (double)v), k, null, 2.0, neighbours);
        // float64 arithmetic on the float32 inputs, one rounding to float32 at the end: ≤ 1 ulp ≈ 6e-8 relative.
        Tolerances.AssertClose(Array.ConvertAll(actual, v => (double)v), expected, 1e-7, 1.2e-7, "output");
    }

    [Test]
    public void PropagateNearest_RowsDoNotDependOnTheirNeighbourRows()
    {
        const int n = 100, a = 40, d = 6, k = 3;
        var x = TestData.Gaussians(n * d, 11);
        var anchors = TestData.Gaussians(a * d, 12);
        var values = TestData.Gaussians(a * k, 13);
        var full = Propagate(Cpu, x, n, anchors, a, d, values, k, null, 1.5, 8);
        // Rows 5..34 on their own: other tiles, other groups of four; the results must be bit-identical.
        using var xm = DeviceMatrix<double>.Upload(Cpu, x, n, d);
        using var am = DeviceMatrix<double>.Upload(Cpu, anchors, a, d);
        using var vm = DeviceMatrix<double>.Upload(Cpu, values, a, k);
        using var om = DeviceMatrix<double>.Allocate(Cpu, 30, k);
        Cpu.Backend.PropagateNearest(xm.RowRange(5, 30), am.All, vm.All, null, 1.5, 8, om.All);
        var part = new double[30 * k];
        om.Download(part);
        Assert.That(part, Is.EqualTo(full.Skip(5 * k).Take(30 * k).ToArray()));
    }

    [TestCase(3000, 8, 400, false)]
    [TestCase(1500, 6, 900, true)]
    [TestCase(90, 3, 90, false)]  // count = rows: every row, in order
    [TestCase(90, 3, 200, false)] // count > rows: every row, in order
    public void FarthestPointSample_EqualsGreedy(int rows, int p, int count, bool ties)
    {
        var y = TestData.Sequence(rows * p, rows + p, rng => ties ? rng.Next(3) : TestData.Gaussian(rng));
        using var m = DeviceMatrix<double>.Upload(Cpu, y, rows, p);
        var picked = Cpu.Backend.FarthestPointSample(m.All, count);
        Assert.That(picked, Is.EqualTo(count >= rows ? Enumerable.Range(0, rows).ToArray() : FarthestPointWalk.Greedy(y, rows, p, count)));
        if (count < rows)
            Assert.That(picked.Distinct().Count(), Is.EqualTo(count), "no row twice");
    }

    [Test]
    public void FarthestPointSample_Float32_EqualsGreedyOnTheWidenedValues()
    {
        const int rows = 800, p = 8, count = 120;
        var y = TestData.Convert<float>(TestData.Gaussians(rows * p, 14));
        using var m = DeviceMatrix<float>.Upload(Cpu, y, rows, p);
        Assert.That(Cpu.Backend.FarthestPointSample(m.All, count), Is.EqualTo(FarthestPointWalk.Greedy(Array.ConvertAll(y, v => (double)v), rows, p, count)));
    }

    [Test]
    public void IlgpuDevice_MatchesManaged()
    {
        const int rows = 150, p = 8, count = 40;
        var y = TestData.Convert<float>(TestData.Gaussians(rows * p, 15));
        int[] Fps(ComputeDevice dev)
        {
            using var m = DeviceMatrix<float>.Upload(dev, y, rows, p);
            return dev.Backend.FarthestPointSample(m.All, count);
        }
        Assert.That(Fps(Ilgpu), Is.EqualTo(Fps(Cpu)), "same picks");

        const int n = 120, a = 40, d = 6, k = 3;
        var x = TestData.Convert<float>(TestData.Gaussians(n * d, 16));
        var anchors = TestData.Convert<float>(TestData.Gaussians(a * d, 17));
        var values = TestData.Convert<float>(TestData.Gaussians(a * k, 18));
        foreach (var degrees in new[] { null, TestData.Sequence(a, 19, rng => 0.2 + rng.NextDouble()) })
        {
            var onDevice = Propagate(Ilgpu, x, n, anchors, a, d, values, k, degrees, 1.3, 5);
            var managed = Propagate(Cpu, x, n, anchors, a, d, values, k, degrees, 1.3, 5);
            // A float32 kernel computes distances in float32 (relative error ~1e-6 of ‖x‖² ≈ 6): weights agree to ~1e-5.
            Tolerances.AssertClose(Array.ConvertAll(onDevice, v => (double)v), Array.ConvertAll(managed, v => (double)v), 1e-5, 1e-4,
                degrees is null ? "renormalized" : "anchor degrees");
        }
        // Every anchor a neighbour with degrees (the classic extension's call): the dense kernel path (a = 140 spans two
        // 128-wide anchor tiles of the distance kernel).
        const int many = 140;
        var farAnchors = TestData.Convert<float>(TestData.Gaussians(many * d, 20));
        var manyValues = TestData.Convert<float>(TestData.Gaussians(many * k, 21));
        var ones = Enumerable.Repeat(1.0, many).ToArray();
        var dense = Propagate(Ilgpu, x, n, farAnchors, many, d, manyValues, k, ones, 1.3, many);
        var reference = Propagate(Cpu, x, n, farAnchors, many, d, manyValues, k, ones, 1.3, many);
        // Same float32 distance error as above; the sums run over 140 weights instead of 5.
        Tolerances.AssertClose(Array.ConvertAll(dense, v => (double)v), Array.ConvertAll(reference, v => (double)v), 1e-5, 1e-4, "all anchors");
        // A row's result does not depend on the batch it comes in (fixed K-slices): the halves alone give the same bits.
        int half = n / 2;
        var first = Propagate(Ilgpu, x[..(half * d)], half, farAnchors, many, d, manyValues, k, ones, 1.3, many);
        var second = Propagate(Ilgpu, x[(half * d)..], n - half, farAnchors, many, d, manyValues, k, ones, 1.3, many);
        Assert.That(first.Concat(second).ToArray(), Is.EqualTo(dense), "batch independence");
    }

    /// <summary>Unsorted, repeated, and both ends of [0, 17): the landmarks a classic extension may sum over.</summary>
    private static readonly int[] ClassicRows = [16, 3, 3, 0, 11, 7, 16, 5, 3];

    /// <summary>
    /// ClassicValues on <paramref name="device"/> for k eigenvectors over m landmarks (rows 1..k of a (k+2)×m matrix, into
    /// rows 2..s+1 of an (s+3)×(k+1) one: the blocks' offsets count) against the host code it replaces: u = sign·vector
    /// widened to float64, landmark-major (m×k), then u·s/λ rounded once. Equality is exact: it is the same arithmetic.
    /// </summary>
    private static void AssertClassicValues<T>(ComputeDevice device, int k, int m, int[] rows) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int s = rows.Length, w = k + 1;
        var block = TestData.Convert<T>(TestData.Gaussians((k + 2) * m, 30 + s));
        var rowScale = TestData.Sequence(s, 31, rng => 0.1 + 2 * rng.NextDouble());
        var sign = Enumerable.Range(0, k).Select(c => c % 3 == 0 ? 1.0 : -1.0).ToArray();
        var divisor = TestData.Sequence(k, 32, rng => 0.3 + 3 * rng.NextDouble()); // not powers of two: the division rounds
        using var vm = DeviceMatrix<T>.Upload(device, block, k + 2, m);
        using var om = DeviceMatrix<T>.Allocate(device, s + 3, w);
        device.Backend.ClassicValues(vm.RowRange(1, k), rows, rowScale, sign, divisor, om.RowRange(2, s));
        var actual = new T[(s + 3) * w];
        om.Download(actual);

        var u = new double[m * k];
        for (int c = 0; c < k; c++)
            for (int i = 0; i < m; i++)
                u[i * k + c] = double.CreateTruncating(block[(1 + c) * m + i]) * sign[c];
        var expected = new T[actual.Length]; // the rows outside the block stay 0
        var other = new T[actual.Length];
        for (int j = 0; j < s; j++)
        {
            for (int c = 0; c < k; c++)
            {
                double uc = u[rows[j] * k + c];
                expected[(2 + j) * w + c] = T.CreateTruncating(uc * rowScale[j] / divisor[c]);
                // What exact equality rules out: in float64 another order of the operations, in float32 float32 arithmetic.
                other[(2 + j) * w + c] = typeof(T) == typeof(double)
                    ? T.CreateTruncating(uc * (rowScale[j] / divisor[c]))
                    : T.CreateTruncating((float)uc * (float)rowScale[j] / (float)divisor[c]);
            }
            expected[(2 + j) * w + k] = other[(2 + j) * w + k] = T.One;
        }
        Assert.That(actual, Is.EqualTo(expected).AsCollection);
        Assert.That(other, Is.Not.EqualTo(expected).AsCollection, "the data tell the prescribed arithmetic from another");
    }

    [Test]
    public void ClassicValues_Float64_EqualsTheHostFormulaBitForBit() => AssertClassicValues<double>(Cpu, 3, 17, ClassicRows);

    [Test]
    public void ClassicValues_Float32_EqualsTheHostFormulaBitForBit() => AssertClassicValues<float>(Cpu, 3, 17, ClassicRows);

    [Test]
    public void ClassicValues_IlgpuDevice_EqualsTheHostFormulaBitForBit()
    {
        AssertClassicValues<float>(Ilgpu, 3, 17, ClassicRows);
        // 300·6 threads: several groups, odd s (the packed int32 indices end on half a float64).
        var rng = new Random(33);
        AssertClassicValues<float>(Ilgpu, 5, 40, Enumerable.Range(0, 301).Select(_ => rng.Next(40)).ToArray());
    }

    [Test]
    public void ClassicValues_BadArguments_ThrowNamingTheParameter()
    {
        const int k = 3, m = 5, s = 4;
        using var vectors = DeviceMatrix<double>.Allocate(Cpu, k, m);
        using var values = DeviceMatrix<double>.Allocate(Cpu, s, k + 1);
        using var narrow = DeviceMatrix<double>.Allocate(Cpu, s, k);
        int[] rows = [0, 4, 2, 2];
        double[] scale = [1, 2, 3, 4], sign = [1, -1, 1], divisor = [0.5, 3, 7];
        var be = Cpu.Backend;
        void Go(int[] r, double[] sc, double[] sg, double[] dv, Block<double> v) => be.ClassicValues(vectors.All, r, sc, sg, dv, v);
        static Constraint Names(string name) => Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo(name);
        static Constraint OutOfRange(string name) => Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo(name);
        Assert.Multiple(() =>
        {
            Assert.That(() => Go(rows, scale, sign, divisor, values.All), Throws.Nothing);
            Assert.That(() => Go(rows, scale, sign, divisor, narrow.All), Names("values"));
            Assert.That(() => Go(rows, scale, sign, divisor, values.RowRange(0, 3)), Names("values"));
            Assert.That(() => Go(null!, scale, sign, divisor, values.All), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("rows"));
            Assert.That(() => Go([0, 5, 2, 2], scale, sign, divisor, values.All), OutOfRange("rows").And.Message.Contains("index 1"));
            Assert.That(() => Go([0, 4, -1, 2], scale, sign, divisor, values.All), OutOfRange("rows").And.Message.Contains("index 2"));
            Assert.That(() => Go(rows, [1, 2, 3], sign, divisor, values.All), Names("rowScale"));
            Assert.That(() => Go(rows, [1, 2, double.NaN, 4], sign, divisor, values.All), OutOfRange("rowScale"));
            Assert.That(() => Go(rows, [1, double.PositiveInfinity, 3, 4], sign, divisor, values.All), OutOfRange("rowScale"));
            Assert.That(() => Go(rows, scale, [1, -1], divisor, values.All), Names("columnSign"));
            Assert.That(() => Go(rows, scale, [1, double.NaN, 1], divisor, values.All), OutOfRange("columnSign"));
            Assert.That(() => Go(rows, scale, sign, [0.5, 3, 7, 1], values.All), Names("columnDivisor"));
            Assert.That(() => Go(rows, scale, sign, [0.5, 0, 7], values.All), OutOfRange("columnDivisor").And.Message.Contains("divisor 1"));
            Assert.That(() => Go(rows, scale, sign, [0.5, 3, double.NegativeInfinity], values.All), OutOfRange("columnDivisor"));
            Assert.That(() => Go(rows, scale, sign, [double.NaN, 3, 7], values.All), OutOfRange("columnDivisor"));
        });
        // The ILGPU backend runs the same check before it uploads anything.
        using var deviceVectors = DeviceMatrix<float>.Allocate(Ilgpu, k, m);
        using var deviceValues = DeviceMatrix<float>.Allocate(Ilgpu, s, k + 1);
        Assert.That(() => Ilgpu.Backend.ClassicValues(deviceVectors.All, [0, 5, 2, 2], scale, sign, divisor, deviceValues.All), OutOfRange("rows"));
    }

    [Test]
    public void BadArguments_ThrowNamingTheParameter()
    {
        using var x = DeviceMatrix<double>.Upload(Cpu, new double[12], 4, 3);
        using var anchors = DeviceMatrix<double>.Upload(Cpu, new double[15], 5, 3);
        using var narrow = DeviceMatrix<double>.Upload(Cpu, new double[10], 5, 2);
        using var values = DeviceMatrix<double>.Upload(Cpu, new double[10], 5, 2);
        using var output = DeviceMatrix<double>.Allocate(Cpu, 4, 2);
        using var wrongOutput = DeviceMatrix<double>.Allocate(Cpu, 4, 3);
        var be = Cpu.Backend;
        void Go(Block<double> a, Block<double> v, double[]? deg, double sigma, int nb, Block<double> o) =>
            be.PropagateNearest(x.All, a, v, deg, sigma, nb, o);
        Assert.Multiple(() =>
        {
            Assert.That(() => Go(narrow.All, values.All, null, 1, 2, output.All), Throws.ArgumentException.With.Property("ParamName").EqualTo("anchors"));
            Assert.That(() => Go(anchors.All, values.RowRange(0, 4), null, 1, 2, output.All), Throws.ArgumentException.With.Property("ParamName").EqualTo("values"));
            Assert.That(() => Go(anchors.All, values.All, null, 1, 2, wrongOutput.All), Throws.ArgumentException.With.Property("ParamName").EqualTo("output"));
            Assert.That(() => Go(anchors.All, values.All, new double[4], 1, 2, output.All), Throws.ArgumentException.With.Property("ParamName").EqualTo("anchorDegrees"));
            Assert.That(() => Go(anchors.All, values.All, [1, 1, 0, 1, 1], 1, 2, output.All),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("anchorDegrees").And.Message.Contains("degree 2"));
            Assert.That(() => Go(anchors.All, values.All, null, 0, 2, output.All), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("sigma"));
            Assert.That(() => Go(anchors.All, values.All, null, double.NaN, 2, output.All), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("sigma"));
            Assert.That(() => Go(anchors.All, values.All, null, 1, 0, output.All), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("neighbours"));
            Assert.That(() => Go(anchors.All, values.All, null, 1, 6, output.All), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("neighbours"));
            Assert.That(() => be.FarthestPointSample(x.All, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("count"));
        });
    }
}
