// SigmaSelectionTests: the degree-quantile σ rule against an independent float64 recomputation, its quantile, and determinism.
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class SigmaSelectionTests
{

    /// <summary>Σ over columns of the unbiased standard deviation, over the given rows.</summary>
    private static double SumOfStd(double[,] x, int[] rows)
    {
        int d = x.GetLength(1), m = rows.Length;
        double total = 0;
        for (int k = 0; k < d; k++)
        {
            double mean = rows.Average(r => x[r, k]);
            double ss = rows.Sum(r => (x[r, k] - mean) * (x[r, k] - mean));
            total += Math.Sqrt(ss / (m - 1));
        }
        return total;
    }

    /// <summary>Direct affinity between rows i and j (docs/MATH.md definitions: no Gram expansion).</summary>
    private static double Affinity(double[,] x, int i, int j, AffinityKind kind, double sigma)
    {
        int d = x.GetLength(1);
        if (kind == AffinityKind.Rbf)
        {
            double sq = 0;
            for (int k = 0; k < d; k++)
                sq += (x[i, k] - x[j, k]) * (x[i, k] - x[j, k]);
            return Math.Exp(-sq / (2 * sigma * sigma));
        }
        double dot = 0, ni = 0, nj = 0;
        for (int k = 0; k < d; k++)
        {
            dot += x[i, k] * x[j, k];
            ni += x[i, k] * x[i, k];
            nj += x[j, k] * x[j, k];
        }
        double c = dot / (Math.Max(Math.Sqrt(ni), 1e-8) * Math.Max(Math.Sqrt(nj), 1e-8));
        return Math.Exp(-(1 - c) * (1 - c) / (2 * sigma * sigma)) + 1e-3;
    }

    /// <summary>Per-node mean affinities over the given rows (diagonal included).</summary>
    private static double[] MeanAffinities(double[,] x, int[] rows, AffinityKind kind, double sigma)
    {
        int m = rows.Length;
        var deg = new double[m];
        for (int a = 0; a < m; a++)
        {
            double s = 0;
            for (int b = 0; b < m; b++)
                s += Affinity(x, rows[a], rows[b], kind, sigma);
            deg[a] = s / m;
        }
        return deg;
    }

    /// <summary>numpy's default (linear) quantile, written out independently.</summary>
    private static double LinearQuantile(double[] values, double q)
    {
        var s = values.OrderBy(v => v).ToArray();
        double h = (s.Length - 1) * q;
        int below = (int)Math.Floor(h);
        if (below >= s.Length - 1)
            return s[^1];
        return s[below] + (h - below) * (s[below + 1] - s[below]);
    }

    /// <summary>The target mean affinity: the q-quantile of per-node mean affinities at σ0 = Σ std.</summary>
    private static double Target(double[,] x, int[] rows, AffinityKind kind, double q) =>
        LinearQuantile(MeanAffinities(x, rows, kind, SumOfStd(x, rows)), q);

    private static double MeanAffinity(double[,] x, int[] rows, AffinityKind kind, double sigma) =>
        MeanAffinities(x, rows, kind, sigma).Average();

    /// <summary>ncut_pytorch's search written out: from 0.5, double until the mean passes the target, then bisect to 1 %.</summary>
    private static double Search(double[,] x, int[] rows, AffinityKind kind, double target)
    {
        double sigma = 0.5, low = 0, high = double.PositiveInfinity;
        double current = MeanAffinity(x, rows, kind, sigma);
        for (int step = 0; step < 100 && Math.Abs(current - target) > 0.01 * target; step++)
        {
            if (current > target)
            {
                high = sigma;
                sigma = (low + sigma) / 2;
            }
            else
            {
                low = sigma;
                sigma = double.IsPositiveInfinity(high) ? 2 * sigma : (sigma + high) / 2;
            }
            current = MeanAffinity(x, rows, kind, sigma);
        }
        return sigma;
    }

    [TestCase(AffinityKind.Rbf, 0.25, 6.0)]
    [TestCase(AffinityKind.Rbf, 0.25, 40.0)]
    [TestCase(AffinityKind.Rbf, 0.6, 6.0)]
    [TestCase(AffinityKind.Cosine, 0.25, 6.0)]
    [TestCase(AffinityKind.Cosine, 0.1, 6.0)]
    public void SmallData_MeanAffinityHitsTheQuantileTarget(AffinityKind kind, double q, double separation)
    {
        const int n = 300, d = 4;
        var x = TestData.Blobs(n, d, 3, separation, seed: 8);
        var rows = Enumerable.Range(0, n).ToArray();
        double sigma = SigmaSelection.ByDegreeQuantile<double>(TestData.Flatten(x), n, d, kind, q, seed: 0);
        Assert.That(double.IsFinite(sigma) && sigma > 0, Is.True, $"σ = {sigma}");

        double target = Target(x, rows, kind, q);
        double mean = MeanAffinity(x, rows, kind, sigma);
        // σ is the root of mean(σ) = target (to 1e-12 relative; this reference sums in another order).
        Assert.That(mean, Is.EqualTo(target).Within(1e-9 * target), $"σ = {sigma}");
        // ncut_pytorch's search, run independently, stops inside its 1 % band around the same target (where the mean affinity
        // is flat in σ, as for these cosine graphs, that band spans a wide range of σ: only the means compare).
        double peer = Search(x, rows, kind, target);
        Assert.That(MeanAffinity(x, rows, kind, peer), Is.EqualTo(target).Within(0.01 * target + 1e-12));
    }

    [Test]
    public void SmallData_SeedDoesNotMatterWhenAllPointsAreUsed()
    {
        const int n = 200, d = 3;
        var flat = TestData.Flatten(TestData.Blobs(n, d, 2, separation: 5, seed: 9));
        double a = SigmaSelection.ByDegreeQuantile<double>(flat, n, d, AffinityKind.Rbf, 0.25, seed: 1);
        double b = SigmaSelection.ByDegreeQuantile<double>(flat, n, d, AffinityKind.Rbf, 0.25, seed: 12345);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(SigmaSelection.SubsetRows<double>(flat, n, d, seed: 7), Is.EqualTo(Enumerable.Range(0, n).ToArray()));
    }

    [Test]
    public void HigherQuantile_GivesLargerSigma()
    {
        // A higher target mean affinity needs a wider kernel (the mean is increasing in σ).
        const int n = 250, d = 4;
        var flat = TestData.Flatten(TestData.Blobs(n, d, 4, separation: 6, seed: 3));
        double low = SigmaSelection.ByDegreeQuantile<double>(flat, n, d, AffinityKind.Rbf, 0.1, seed: 0);
        double high = SigmaSelection.ByDegreeQuantile<double>(flat, n, d, AffinityKind.Rbf, 0.9, seed: 0);
        Assert.That(high, Is.GreaterThan(low));
    }

    [Test]
    public void Float32Input_EqualsFloat64OfTheSameValues()
    {
        const int n = 150, d = 3;
        var x32 = TestData.ToFloat(TestData.Blobs(n, d, 3, separation: 6, seed: 4));
        var x64 = TestData.ToDouble(x32);
        var flat32 = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++)
                flat32[i * d + k] = x32[i, k];
        double s32 = SigmaSelection.ByDegreeQuantile<float>(flat32, n, d, AffinityKind.Rbf, 0.25, seed: 0);
        double s64 = SigmaSelection.ByDegreeQuantile<double>(TestData.Flatten(x64), n, d, AffinityKind.Rbf, 0.25, seed: 0);
        Assert.That(s32, Is.EqualTo(s64));
    }

    // Identical rows: σ0 = 0 and every σ gives the same all-ones graph. RBF takes 1 in the units where max|x| ∈ [1, 2), i.e.
    // 2^⌊log₂ max|x|⌋ (max|x| = 2 here, times the scale); cosine σ has no unit and is 1.
    [TestCase(AffinityKind.Rbf, 0, 1)]
    [TestCase(AffinityKind.Rbf, -40, -39)]
    [TestCase(AffinityKind.Rbf, 200, 201)]
    [TestCase(AffinityKind.Cosine, 0, 0)]
    [TestCase(AffinityKind.Cosine, -40, 0)]
    public void IdenticalRows_ReturnTheDegenerateSigma(AffinityKind kind, int scaleExponent, int expectedExponent)
    {
        double scale = Math.ScaleB(1.0, scaleExponent), expected = Math.ScaleB(1.0, expectedExponent);
        const int n = 50, d = 3;
        var flat = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            flat[i * d] = 1.5 * scale;
            flat[i * d + 1] = -2 * scale;
            flat[i * d + 2] = 0.25 * scale;
        }
        double sigma = SigmaSelection.ByDegreeQuantile<double>(flat, n, d, kind, 0.25, seed: 0);
        Assert.That(sigma, Is.EqualTo(expected));
    }

    [Test]
    public void AllZeroRows_ReturnOne()
    {
        double sigma = SigmaSelection.ByDegreeQuantile<double>(new double[20 * 4], 20, 4, AffinityKind.Rbf, 0.25, seed: 0);
        Assert.That(sigma, Is.EqualTo(1.0));
    }

    [TestCase(new double[] { 1, 2, 3, 4 }, 0.25, 1.75)]
    [TestCase(new double[] { 4, 1, 3, 2 }, 0.25, 1.75)]
    [TestCase(new double[] { 1, 2, 3, 4 }, 0.5, 2.5)]
    [TestCase(new double[] { 1, 2, 3, 4 }, 0.0, 1.0)]
    [TestCase(new double[] { 1, 2, 3, 4 }, 1.0, 4.0)]
    [TestCase(new double[] { 3, 1, 2 }, 0.75, 2.5)]
    [TestCase(new double[] { 0, 10 }, 0.1, 1.0)]
    [TestCase(new double[] { 7 }, 0.3, 7.0)]
    [TestCase(new double[] { 5, 5, 5, 9 }, 0.5, 5.0)]
    [TestCase(new double[] { -1, 0, 1, 2, 100 }, 0.25, 0.0)]
    public void Quantile_FollowsNumpyLinearRule(double[] values, double q, double expected)
    {
        var copy = (double[])values.Clone();
        Assert.That(SigmaSelection.Quantile(values, q), Is.EqualTo(expected).Within(1e-15));
        Assert.That(values, Is.EqualTo(copy), "input is not reordered");
    }

    [Test]
    public void Quantile_AgreesWithIndependentLinearRule()
    {
        var rng = new Random(17);
        for (int trial = 0; trial < 50; trial++)
        {
            var v = Enumerable.Range(0, 1 + rng.Next(30)).Select(_ => rng.NextDouble() * 10 - 5).ToArray();
            double q = rng.NextDouble();
            Assert.That(SigmaSelection.Quantile(v, q), Is.EqualTo(LinearQuantile(v, q)).Within(1e-12), $"trial {trial}");
        }
    }

    [Test]
    public void LargeData_IsDeterministicForTheSameSeed_AndHitsTargetOnItsSubset()
    {
        const int n = 3000, d = 4;
        var x = TestData.Blobs(n, d, 5, separation: 6, seed: 13);
        var flat = TestData.Flatten(x);
        double a = SigmaSelection.ByDegreeQuantile<double>(flat, n, d, AffinityKind.Rbf, 0.25, seed: 42);
        double b = SigmaSelection.ByDegreeQuantile<double>(flat, n, d, AffinityKind.Rbf, 0.25, seed: 42);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(double.IsFinite(a) && a > 0, Is.True, $"σ = {a}");

        var rows = SigmaSelection.SubsetRows<double>(flat, n, d, seed: 42);
        Assert.That(rows, Has.Length.EqualTo(SigmaSelection.SubsetSize));
        Assert.That(rows.Distinct().Count(), Is.EqualTo(rows.Length), "farthest-point sample has no repeats");
        Assert.That(rows, Is.All.InRange(0, n - 1));
        Assert.That(SigmaSelection.SubsetRows<double>(flat, n, d, seed: 42), Is.EqualTo(rows));

        double target = Target(x, rows, AffinityKind.Rbf, 0.25);
        Assert.That(MeanAffinity(x, rows, AffinityKind.Rbf, a), Is.EqualTo(target).Within(0.01 * target));
    }
}
