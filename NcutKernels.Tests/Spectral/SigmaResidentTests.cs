// SigmaResidentTests: the σ rule on device-resident features (managed CPU and ILGPU CPU devices) against the host rule, bit for bit; its subset seam, options and bad input.
using System.Numerics;
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
[NonParallelizable]
public class SigmaResidentTests : CpuAndIlgpuFixture
{
    /// <summary>
    /// n×d row-major: three clusters with heavy-tailed spreads (each row's noise scaled by 1/√u), times 0.02 so that σ lands
    /// on a fine step of the search (and, where rows are sampled, depends on which rows the subset holds).
    /// </summary>
    private static T[] Data<T>(int n, int d, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var x = new T[n * d];
        for (int i = 0; i < n; i++)
        {
            double scale = 1 / Math.Sqrt(rng.NextDouble() + 1e-3);
            for (int k = 0; k < d; k++)
                x[i * d + k] = T.CreateChecked((TestData.Gaussian(rng) * scale + i % 3 * 2) * 0.02);
        }
        return x;
    }

    /// <summary>The resident σ (rule seed <paramref name="seed"/>) of x, checked equal to the host σ on the same device; returns it.</summary>
    private static double AssertResidentEqualsHost<T>(ComputeDevice device, T[] x, int n, int d, AffinityKind kind, double quantile, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double host = SigmaSelection.ByDegreeQuantile<T>(x, n, d, kind, quantile, seed, device);
        using var resident = DeviceMatrix<T>.Upload(device, x, n, d);
        Assert.That(SigmaSelection.ByDegreeQuantile(resident, kind, quantile, seed), Is.EqualTo(host),
            $"{typeof(T).Name} {n}×{d} {kind} q = {quantile} seed {seed} on {device.Kind}");
        return host;
    }

    // Every row in the subset (n ≤ 1000); every row a candidate (n ≤ 4000); 4000 of n gathered on the device (n > 4000).
    [TestCase(700, 5, AffinityKind.Rbf, 0.4, 1)]
    [TestCase(700, 5, AffinityKind.Cosine, 0.4, 2)]
    [TestCase(2600, 9, AffinityKind.Rbf, 0.25, 3)]
    [TestCase(2600, 9, AffinityKind.Cosine, 0.1, 4)]
    [TestCase(5003, 6, AffinityKind.Rbf, 0.6, 5)]
    [TestCase(5003, 6, AffinityKind.Cosine, 0.25, 6)]
    [TestCase(4001, 16, AffinityKind.Rbf, 0.25, 7)]
    public void ManagedDevice_EqualsTheHostRule(int n, int d, AffinityKind kind, double quantile, int seed)
    {
        double f32 = AssertResidentEqualsHost(Cpu, Data<float>(n, d, seed), n, d, kind, quantile, seed);
        double f64 = AssertResidentEqualsHost(Cpu, Data<double>(n, d, seed), n, d, kind, quantile, seed);
        foreach (double sigma in new[] { f32, f64 })
            Assert.That(sigma, Is.Not.EqualTo(1.0).And.Not.EqualTo(SigmaSelection.InitialSigma), "the search moved off its start");
    }

    [TestCase(2600, 9, AffinityKind.Cosine, 0.25)]
    [TestCase(5003, 6, AffinityKind.Cosine, 0.25)]
    [TestCase(5003, 6, AffinityKind.Rbf, 0.6)]
    public void ManagedDevice_FollowsTheSeed_WhereTheSubsetMovesSigma(int n, int d, AffinityKind kind, double quantile)
    {
        var x = Data<float>(n, d, seed: 11);
        var sigmas = Enumerable.Range(0, 6).Select(seed => AssertResidentEqualsHost(Cpu, x, n, d, kind, quantile, seed)).ToArray();
        Assert.That(sigmas.Distinct().Count(), Is.GreaterThan(1), $"σ over seeds: {string.Join(", ", sigmas)}");
    }

    [Test]
    public void ManagedDevice_ReadsOnlyTheCandidateRows()
    {
        const int n = 5003, d = 6, seed = 8;
        var x = Data<float>(n, d, seed);
        double clean = SigmaSelection.ByDegreeQuantile<float>(x, n, d, AffinityKind.Rbf, 0.25, seed);
        var candidates = SigmaSelection.Candidates(n, seed).Candidates.ToHashSet();
        for (int i = 0; i < n; i++)
            if (!candidates.Contains(i))
                x.AsSpan(i * d, d).Fill(1e6f + i);
        Assert.That(AssertResidentEqualsHost(Cpu, x, n, d, AffinityKind.Rbf, 0.25, seed), Is.EqualTo(clean));
    }

    [TestCase(700, 4)]
    [TestCase(2600, 9)]
    [TestCase(5003, 6)]
    [TestCase(9001, 3)]
    public void SubsetOfTheGatheredCandidates_IsTheSubset(int n, int d)
    {
        // The resident path's seam: the walk over the candidate rows copied out (positions 0 … c − 1), with the candidates'
        // seeded stream, picks the rows the host rule picks.
        var x = Data<double>(n, d, seed: n);
        var (candidates, random) = SigmaSelection.Candidates(n, seed: 5);
        var compact = candidates.SelectMany(r => x.AsSpan(r * d, d).ToArray()).ToArray();
        var picks = SigmaSelection.SubsetOf<double>(compact, d, Enumerable.Range(0, candidates.Length).ToArray(), random);
        var rows = SigmaSelection.SubsetRows<double>(x, n, d, seed: 5);
        Assert.That(Array.ConvertAll(picks, p => candidates[p]), Is.EqualTo(rows));
        Assert.That(rows, Has.Length.EqualTo(Math.Min(n, SigmaSelection.SubsetSize)));
    }

    // ILGPU's CPU accelerator emulates the float64 pair and row-sum kernels slowly: a small n (every row in the subset) only.
    [TestCase(AffinityKind.Rbf)]
    [TestCase(AffinityKind.Cosine)]
    public void IlgpuDevice_EqualsTheHostRule(AffinityKind kind)
    {
        const int n = 240, d = 8;
        double sigma = AssertResidentEqualsHost(Ilgpu, Data<float>(n, d, seed: 12), n, d, kind, 0.25, seed: 4);
        Assert.That(sigma, Is.Not.EqualTo(1.0).And.Not.EqualTo(SigmaSelection.InitialSigma), "the search moved off its start");
    }

    [Test]
    public void SigmaFor_DeviceMatrix_FollowsTheOptions()
    {
        const int n = 600, d = 5;
        var x = Data<float>(n, d, seed: 13);
        using var resident = DeviceMatrix<float>.Upload(Cpu, x, n, d);
        Assert.That(new NcutOptions { Sigma = 0.7 }.SigmaFor(resident), Is.EqualTo(0.7));
        Assert.That(new NcutOptions { Affinity = AffinityKind.Cosine }.SigmaFor(resident), Is.EqualTo(NcutOptions.DefaultCosineSigma));
        foreach (var options in new[] { new NcutOptions(), new NcutOptions { Affinity = AffinityKind.Cosine, Quantile = 0.3, Seed = 2 } })
        {
            double host = options.SigmaFor<float>(x, n, d, Cpu);
            Assert.That(options.SigmaFor(resident), Is.EqualTo(host), options.Affinity.ToString());
            Assert.That(host, Is.Not.EqualTo(NcutOptions.DefaultCosineSigma));
        }
        var log = new StringWriter();
        Assert.That(new NcutOptions { Log = log }.SigmaFor(resident), Is.EqualTo(new NcutOptions().SigmaFor(resident)), "logging changes nothing");
        Assert.That(log.ToString(), Does.StartWith($"sigma: {n} candidate rows staged in ").And.Contains("pair terms and search in"));
    }

    [Test]
    public void BadInput_Throws()
    {
        using var x = DeviceMatrix<float>.Upload(Cpu, Data<float>(20, 3, seed: 14), 20, 3);
        Assert.That(() => SigmaSelection.ByDegreeQuantile<float>(null!, AffinityKind.Rbf, 0.25, 0),
            Throws.InstanceOf<ArgumentNullException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("x"));
        foreach (double q in new[] { double.NaN, -0.1, 1.5 })
            Assert.That(() => SigmaSelection.ByDegreeQuantile(x, AffinityKind.Rbf, q, 0),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("quantile"), $"q = {q}");
        var disposed = DeviceMatrix<float>.Upload(Cpu, Data<float>(20, 3, seed: 14), 20, 3);
        disposed.Dispose();
        Assert.That(() => SigmaSelection.ByDegreeQuantile(disposed, AffinityKind.Rbf, 0.25, 0), Throws.InstanceOf<ObjectDisposedException>());
    }
}
