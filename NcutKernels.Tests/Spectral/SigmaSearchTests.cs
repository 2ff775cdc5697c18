// SigmaSearchTests: the σ search evaluated ahead in batches (any lookahead) takes exactly the one-σ-per-call search's steps.
using NUnit.Framework;
using NcutKernels.Backends;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class SigmaSearchTests
{
    /// <summary>Host row sums under a chosen lookahead, counting the calls and the σ evaluated.</summary>
    private sealed class Counted(IAffinityRowSums inner, int lookahead) : IAffinityRowSums
    {
        public int Calls { get; private set; }
        public int Evaluated { get; private set; }
        public int Lookahead => lookahead;

        public void RowSums(ReadOnlySpan<double> sigmas, double[] sums)
        {
            Calls++;
            Evaluated += sigmas.Length;
            inner.RowSums(sigmas, sums);
        }

        public void Dispose() => inner.Dispose();
    }

    private static double[] Subset(int m, int d, double separation, int seed) =>
        TestData.Flatten(TestData.Blobs(m, d, 4, separation, seed));

    private static double SumOfStd(double[] xs, int m, int d) =>
        Enumerable.Range(0, d).Sum(k =>
        {
            var column = Enumerable.Range(0, m).Select(r => xs[r * d + k]).ToArray();
            double mean = column.Average();
            return Math.Sqrt(column.Sum(v => (v - mean) * (v - mean)) / (m - 1));
        });

    [TestCase(AffinityKind.Rbf, 0.25, 6.0, 0)]
    [TestCase(AffinityKind.Rbf, 0.6, 2.0, 1)]
    [TestCase(AffinityKind.Rbf, 0.05, 40.0, 2)]
    [TestCase(AffinityKind.Cosine, 0.25, 6.0, 3)]
    [TestCase(AffinityKind.Cosine, 0.9, 1.0, 4)]
    public void AnyLookahead_GivesTheStepByStepSigma_InFewerCalls(AffinityKind kind, double q, double separation, int seed)
    {
        const int m = 120, d = 6;
        var xs = Subset(m, d, separation, seed);
        double sigma0 = SumOfStd(xs, m, d);
        using var single = new Counted(new HostRowSums(xs, m, d, kind), 1);
        double expected = SigmaSelection.Search(single, m, sigma0, q);
        Assert.That(single.Evaluated, Is.EqualTo(single.Calls + 1), "one σ per call, σ0 with the first");
        foreach (int lookahead in new[] { 2, 4, 7 })
        {
            using var batched = new Counted(new HostRowSums(xs, m, d, kind), lookahead);
            Assert.That(SigmaSelection.Search(batched, m, sigma0, q), Is.EqualTo(expected), $"lookahead {lookahead}");
            Assert.That(batched.Calls, Is.LessThan(single.Calls), $"lookahead {lookahead}");
        }
    }

    [TestCase(0.01, 1.0)]
    [TestCase(1.0, 0.95)]
    [TestCase(100.0, 0.25)]
    [TestCase(1e4, 0.5)]
    public void AnySigma0_BatchedSearchEqualsStepByStep(double sigma0, double q)
    {
        // σ0 is an input here: far below or above where the search ends, the first batch's doubling chain (to 2σ0) is too short
        // or too long, and later batches must continue from wherever the replay stands.
        const int m = 80, d = 3;
        var xs = Subset(m, d, 30, 5);
        using var single = new Counted(new HostRowSums(xs, m, d, AffinityKind.Rbf), 1);
        using var batched = new Counted(new HostRowSums(xs, m, d, AffinityKind.Rbf), 3);
        Assert.That(SigmaSelection.Search(batched, m, sigma0, q), Is.EqualTo(SigmaSelection.Search(single, m, sigma0, q)));
    }
}
