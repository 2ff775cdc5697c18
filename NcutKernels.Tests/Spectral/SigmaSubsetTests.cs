// SigmaSubsetTests: the σ rule's subset (projection and farthest-point walk) against a plain scalar recomputation, pick for pick.
using System.Numerics;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class SigmaSubsetTests
{
    /// <summary>
    /// The subset written out serially: the same seeded candidates and projection, each projected value summed in k order,
    /// each squared distance in e order, the farthest candidate (ties to the lowest index) picked after each step.
    /// </summary>
    private static int[] ReferenceSubset<T>(T[] x, int n, int d, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        int[] candidates;
        if (n > SigmaSelection.CandidateCount)
        {
            double spacing = (double)n / SigmaSelection.CandidateCount;
            double offset = random.NextDouble() * spacing;
            candidates = new int[SigmaSelection.CandidateCount];
            for (int i = 0; i < candidates.Length; i++)
                candidates[i] = Math.Min(n - 1, (int)(offset + i * spacing));
        }
        else
        {
            candidates = Enumerable.Range(0, n).ToArray();
        }
        int p = Math.Min(SigmaSelection.ProjectionDims, d), c = candidates.Length;
        var proj = new double[d * p];
        for (int i = 0; i < proj.Length; i++)
            proj[i] = random.NextDouble() * 2 - 1;
        var y = new double[c * p];
        for (int r = 0; r < c; r++)
            for (int e = 0; e < p; e++)
            {
                double s = 0;
                for (int k = 0; k < d; k++)
                    s += double.CreateChecked(x[candidates[r] * d + k]) * proj[k * p + e];
                y[r * p + e] = s;
            }
        var chosen = ReferenceWalk(y, c, p, SigmaSelection.SubsetSize);
        return Array.ConvertAll(chosen, r => candidates[r]);
    }

    /// <summary>The farthest-point walk over y (c×p, row-major), written out serially.</summary>
    private static int[] ReferenceWalk(double[] y, int c, int p, int count)
    {
        var dist = Enumerable.Repeat(double.PositiveInfinity, c).ToArray();
        var chosen = new int[count];
        int current = 0;
        for (int step = 0; step < count; step++)
        {
            chosen[step] = current;
            int best = 0;
            for (int r = 0; r < c; r++)
            {
                double dd = 0;
                for (int e = 0; e < p; e++)
                {
                    double t = y[r * p + e] - y[current * p + e];
                    dd += t * t;
                }
                dist[r] = Math.Min(dist[r], dd);
                if (dist[r] > dist[best])
                    best = r;
            }
            current = best;
        }
        return chosen;
    }

    private static T[] Data<T>(int n, int d, int distinct, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var points = Enumerable.Range(0, distinct * d).Select(_ => TestData.Gaussian(rng) * 3).ToArray();
        var x = new T[n * d];
        for (int i = 0; i < n; i++)
        {
            int src = i % distinct;
            for (int k = 0; k < d; k++)
                x[i * d + k] = T.CreateChecked(points[src * d + k]);
        }
        return x;
    }

    [TestCase(4500, 3, 4500, 0)]
    [TestCase(5000, 8, 5000, 1)]
    [TestCase(9001, 37, 9001, 2)]
    [TestCase(1500, 12, 1500, 3)]
    [TestCase(1024, 768, 1024, 4)]
    [TestCase(4001, 5, 4001, 5)]
    [TestCase(1200, 4, 60, 6)]
    public void Float32_PicksTheReferenceRows(int n, int d, int distinct, int seed)
    {
        var x = Data<float>(n, d, distinct, seed);
        Assert.That(SigmaSelection.SubsetRows<float>(x, n, d, seed), Is.EqualTo(ReferenceSubset(x, n, d, seed)));
    }

    [TestCase(4500, 3, 4500, 0)]
    [TestCase(1024, 768, 1024, 4)]
    [TestCase(2000, 9, 2000, 7)]
    [TestCase(6000, 2, 45, 8)]
    public void Float64_PicksTheReferenceRows(int n, int d, int distinct, int seed)
    {
        var x = Data<double>(n, d, distinct, seed);
        Assert.That(SigmaSelection.SubsetRows<double>(x, n, d, seed), Is.EqualTo(ReferenceSubset(x, n, d, seed)));
    }

    [TestCase(1500, 1000, 0)]
    [TestCase(4000, 300, 1)]
    [TestCase(37, 37, 2)]
    public void Walk_PicksTheReferenceRowsOnAnyNumberOfWorkers(int c, int count, int seed)
    {
        // Few distinct values: many equal distances, so the lowest-index tie rule is exercised across blocks and lanes.
        var rng = new Random(seed);
        int w = System.Numerics.Vector<double>.Count, stride = (c + w - 1) / w * w;
        var yt = new double[SigmaSelection.ProjectionDims * stride];
        for (int e = 0; e < SigmaSelection.ProjectionDims; e++)
            for (int r = 0; r < c; r++)
                yt[e * stride + r] = rng.Next(6) - 2.5;
        var y = new double[c * SigmaSelection.ProjectionDims];
        for (int r = 0; r < c; r++)
            for (int e = 0; e < SigmaSelection.ProjectionDims; e++)
                y[r * SigmaSelection.ProjectionDims + e] = yt[e * stride + r];
        var reference = ReferenceWalk(y, c, SigmaSelection.ProjectionDims, count);
        foreach (int workers in new[] { 1, 2, 3, 5 })
            Assert.That(SigmaWalk.Walk(yt, c, stride, count, workers), Is.EqualTo(reference), $"{workers} workers");
        Assert.That(SigmaWalk.Walk(yt, c, stride, count), Is.EqualTo(reference), "default workers");
    }
}
