// FarthestPointSamplingTests: the pruned greedy walk against a plain brute-force walk (ties included), and the seeded sample's contract.
using NUnit.Framework;
using NcutKernels.Backends.Managed;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class FarthestPointSamplingTests
{
    /// <summary>The definition: start at row 0; repeatedly take the unpicked row with the largest squared distance to its nearest pick, ties to the lowest row.</summary>
    private static int[] BruteForce(double[] y, int rows, int d, int count)
    {
        var dist = Enumerable.Repeat(double.PositiveInfinity, rows).ToArray();
        var picked = new bool[rows];
        var chosen = new int[count];
        int current = 0;
        for (int s = 0; s < count; s++)
        {
            chosen[s] = current;
            picked[current] = true;
            for (int r = 0; r < rows; r++)
            {
                double sum = 0;
                for (int e = 0; e < d; e++)
                    sum += (y[r * d + e] - y[current * d + e]) * (y[r * d + e] - y[current * d + e]);
                dist[r] = Math.Min(dist[r], sum);
            }
            current = Enumerable.Range(0, rows).Where(r => !picked[r]).DefaultIfEmpty(0).MaxBy(r => (dist[r], -r));
        }
        return chosen;
    }

    [TestCase(3000, 8, 400, false)]
    [TestCase(2000, 3, 2000, false)]
    [TestCase(90, 5, 60, false)]
    [TestCase(1500, 6, 900, true)]
    public void Greedy_EqualsTheBruteForceWalk(int rows, int d, int count, bool ties)
    {
        // ties: coordinates in {0, 1, 2}, so many rows coincide and many distances are equal
        var y = TestData.Sequence(rows * d, rows + d, rng => ties ? rng.Next(3) : TestData.Gaussian(rng) + (rng.Next(4) == 0 ? 5 : 0));
        Assert.That(FarthestPointWalk.Greedy(y, rows, d, count), Is.EqualTo(BruteForce(y, rows, d, count)));
    }

    [Test]
    public void Sample_AllRowsWhenCountCoversThem() =>
        Assert.That(FarthestPointSampling.Sample(new double[10 * 3], 10, 3, 10, seed: 1), Is.EqualTo(Enumerable.Range(0, 10)));

    [Test]
    public void Sample_IsDistinctSeededAndDrawsFromEvenlySpacedCandidates()
    {
        const int n = 5000, d = 12, count = 300;
        var x = TestData.Gaussians(n * d, 3);
        var a = FarthestPointSampling.Sample(x, n, d, count, seed: 4);
        Assert.That(a, Has.Length.EqualTo(count));
        Assert.That(a.Distinct().Count(), Is.EqualTo(count), "no row twice");
        Assert.That(a, Is.All.InRange(0, n - 1));
        Assert.That(FarthestPointSampling.Sample(x, n, d, count, seed: 4), Is.EqualTo(a), "same seed, same rows");
        Assert.That(FarthestPointSampling.Sample(x, n, d, count, seed: 5), Is.Not.EqualTo(a), "another seed, other candidates");
        // n > 4·count: 1200 candidates at stride 5000/1200 from an offset in [0, stride), so rows are at most 1200 distinct values
        var gaps = a.Order().Zip(a.Order().Skip(1), (p, q) => q - p);
        Assert.That(gaps, Is.All.GreaterThanOrEqualTo(4), "candidates are ≥ floor(stride) = 4 rows apart");
    }
}
