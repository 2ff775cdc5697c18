// NystromTests: NystromNcut: the exact path below the threshold, accuracy against exact Ncut on clustered data (subspace angle, k-way NMI), the classic extension at the landmarks, determinism, chunking, out-of-sample Transform, the ILGPU device path and bad input.
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
[NonParallelizable]
public class NystromTests : CpuFixture
{
    /// <summary>sin of the largest principal angle between span(exact) (orthonormal) and span(approx) (any basis).</summary>
    private static double Sin(double[,] exact, double[,] approx) =>
        TestData.SubspaceSin(TestData.Matrix(exact), TestData.Orthonormal(TestData.Matrix(approx)));

    private static double Sin(double[,] exact, float[,] approx) =>
        TestData.SubspaceSin(TestData.Matrix(exact), TestData.Orthonormal(TestData.Matrix(approx)));

    private static int[] Truth(int n, int c) => Enumerable.Range(0, n).Select(i => i % c).ToArray();

    private static int[] KwayLabels<T>(T[,] u, int clusters) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var kway = new KwayNcut(new KwayOptions { ClusterCount = clusters, Method = KwayMethod.SphericalKMeans });
        kway.Fit(u);
        return kway.Predict(u);
    }

    [Test]
    public void BelowThreshold_IsTheExactNcut()
    {
        var x = TestData.Blobs(300, 6, 3, separation: 5, seed: 1);
        var options = new NcutOptions { EigenvectorCount = 4 };
        using var nystrom = new NystromNcut(Cpu, options);
        var u = nystrom.FitTransform(x);
        var exact = new Ncut(Cpu, options);
        Assert.That(u, Is.EqualTo(exact.FitTransform(x)), "bit-identical to Ncut");
        Assert.That(nystrom.Path, Is.EqualTo(EmbeddingPath.Exact));
        Assert.That(nystrom.Eigenvalues, Is.EqualTo(exact.Eigenvalues));
        Assert.That(nystrom.Sigma, Is.EqualTo(exact.Sigma));
        Assert.That(nystrom.LandmarkIndices, Is.EqualTo(Enumerable.Range(0, 300)));
        Assert.That(nystrom.Timings!.PropagationMs, Is.Zero);
    }

    [Test]
    public void PathOption_ForcesExactAboveAndNystromBelowTheThreshold()
    {
        var x = TestData.ToFloat(TestData.Blobs(400, 5, 4, separation: 5, seed: 2));
        var options = new NcutOptions { EigenvectorCount = 4 };
        using var exact = new NystromNcut(Cpu, options, new NystromOptions { ExactThreshold = 100, Path = EmbeddingPath.Exact });
        Assert.That(exact.FitTransform(x), Is.EqualTo(new Ncut(Cpu, options).FitTransform(x)));
        Assert.That(exact.Path, Is.EqualTo(EmbeddingPath.Exact));

        using var auto = new NystromNcut(Cpu, options, new NystromOptions { ExactThreshold = 100 });
        var u = auto.FitTransform(x);
        Assert.That(auto.Path, Is.EqualTo(EmbeddingPath.Nystrom), "n = 400 > 100");
        Assert.That(auto.LandmarkIndices, Has.Length.EqualTo(100), "m = ⌊400·0.25⌋");
        Assert.That(auto.LandmarkIndices, Is.Ordered.Ascending.And.Unique);
        Assert.That(u.GetLength(0), Is.EqualTo(400));
        Assert.That(u.Cast<float>(), Is.All.Matches<float>(float.IsFinite));
    }

    /// <summary>
    /// 6 equal Gaussian blobs in 16-d (centres uniform in [−4, 4]^16, unit spread), n = 4000, k = 6; Nyström with m = 1000
    /// landmarks against exact Ncut on all 4000 points (float64, σ by the same degree rule on each side).
    /// </summary>
    [Test]
    public void Clustered_DefaultStaysCloseToExact_AndHalvesNcutPytorchsError()
    {
        const int n = 4000, d = 16, c = 6;
        var x = TestData.Blobs(n, d, c, separation: 4, seed: 3);
        var options = new NcutOptions { EigenvectorCount = c };
        var exact = new Ncut(Cpu, options).FitTransform(x);
        double Measure(NystromOptions nystrom, out double nmi)
        {
            using var uNcut = new NystromNcut(Cpu, options, nystrom with { ExactThreshold = 1000 });
            var u = uNcut.FitTransform(x);
            nmi = TestData.Nmi(KwayLabels(u, c), Truth(n, c));
            double sin = Sin(exact, u);
            TestContext.Out.WriteLine($"{nystrom.Sampling} + {nystrom.Propagation}: sin θ {sin:F4}, NMI {nmi:F4}");
            return sin;
        }
        double ours = Measure(new NystromOptions(), out double oursNmi);
        var farthest = new NystromOptions { Sampling = LandmarkSampling.FarthestPoint };
        double peer = Measure(farthest with { Propagation = NystromPropagation.NcutPytorch }, out _);
        double classicOnPeerLandmarks = Measure(farthest, out _);
        Measure(farthest with { Propagation = NystromPropagation.Renormalized }, out _);
        // The extension over a random 100 of the 1000 landmarks: what the default does past n·m = 2³⁰ (1024 of 10240 at n = 10⁶).
        double subset = Measure(new NystromOptions { ClassicLandmarks = 100 }, out double subsetNmi);
        // Measured: 0.0122 (default), 0.0207 (classic on farthest-point landmarks), 0.0402 (classic over 100 landmarks),
        // 0.2554 (ncut_pytorch's sampling and propagation).
        Assert.That(ours, Is.LessThan(0.05));
        Assert.That(oursNmi, Is.GreaterThanOrEqualTo(0.95));
        Assert.That(ours, Is.LessThan(0.5 * peer), "the defaults halve ncut_pytorch's subspace error");
        Assert.That(classicOnPeerLandmarks, Is.LessThan(0.5 * peer), "the classic extension alone halves it too");
        Assert.That(subset, Is.LessThan(0.5 * peer), "so does the extension over a tenth of the landmarks");
        Assert.That(subsetNmi, Is.GreaterThanOrEqualTo(0.95));
    }

    [Test]
    public void Classic_ReproducesTheLandmarkEigenvectorsAtTheLandmarks()
    {
        var x = TestData.Blobs(1200, 8, 4, separation: 5, seed: 4);
        var options = new NcutOptions { EigenvectorCount = 4 };
        using var nystrom = new NystromNcut(Cpu, options, EmbeddingChecks.ForcedNystrom());
        var u = nystrom.FitTransform(x);
        var landmarks = nystrom.LandmarkIndices;
        var xl = new double[landmarks.Length, 8];
        for (int r = 0; r < landmarks.Length; r++)
            for (int e = 0; e < 8; e++)
                xl[r, e] = x[landmarks[r], e];
        // The landmark graph is solved exactly as Ncut would solve it at the same σ (same matrix, same seed).
        var landmarkNcut = new Ncut(Cpu, options with { Sigma = nystrom.Sigma });
        var ul = landmarkNcut.FitTransform(xl);
        Assert.That(nystrom.Eigenvalues, Is.EqualTo(landmarkNcut.Eigenvalues));
        Assert.That(nystrom.Eigenvalues[^1], Is.GreaterThan(0.01), "premise of the tolerance below");
        // u(x_l) = (1/λ)·(M·u)_l = u_l up to the solver's residual (≤ 1e-9) over λ (> 0.01): |Δ| ≤ 1e-7 (measured 1e-10), up to
        // each column's sign, which the fit takes from its own output's column sums.
        for (int j = 0; j < 4; j++)
        {
            double sum = Enumerable.Range(0, 1200).Sum(i => u[i, j]);
            Assert.That(sum, Is.GreaterThanOrEqualTo(0), $"column {j} sums to ≥ 0 over the fitted rows");
            double sign = Enumerable.Range(0, landmarks.Length).Sum(r => u[landmarks[r], j] * ul[r, j]) < 0 ? -1 : 1;
            for (int r = 0; r < landmarks.Length; r++)
                Assert.That(u[landmarks[r], j], Is.EqualTo(sign * ul[r, j]).Within(1e-7), $"landmark {landmarks[r]}, vector {j}");
        }
    }

    [Test]
    public void ClassicOverALandmarkSubset_IsTheLeastSquaresFitOverTheLandmarks()
    {
        const int n = 1200, d = 8, k = 4, s = 40;
        var x = TestData.Blobs(n, d, k, separation: 5, seed: 4);
        var options = new NcutOptions { EigenvectorCount = k };
        using var nystrom = new NystromNcut(Cpu, options, EmbeddingChecks.ForcedNystrom() with { ClassicLandmarks = s });
        var u = nystrom.FitTransform(x);
        var landmarks = nystrom.LandmarkIndices;
        var subset = nystrom.AnchorIndices;
        Assert.That(subset, Has.Length.EqualTo(s).And.Ordered.Ascending.And.Unique.And.SubsetOf(landmarks));
        Assert.That(nystrom.PropagationNeighbours, Is.EqualTo(s));
        // The landmark graph is still solved on all m = 300 landmarks (same matrix and seed as Ncut at the fit's σ).
        int m = landmarks.Length;
        var xl = new double[m, d];
        for (int r = 0; r < m; r++)
            for (int e = 0; e < d; e++)
                xl[r, e] = x[landmarks[r], e];
        var ul = new Ncut(Cpu, options with { Sigma = nystrom.Sigma }).FitTransform(xl);
        // Reference in float64 (MathNet): A = (WᵀW + ρI)⁻¹·Wᵀ·H with W the m×s affinity between every landmark and the subset,
        // H = [W_LL·D^-1/2·u/λ, d] (the all-landmark extension's √d·u at the landmarks, and the degrees d over all m),
        // ρ = 1e-10·tr(WᵀW)/s; u(x) = w(x, S)·A_{1..k}/√(w(x, S)·A_{k+1}).
        double scale = 1 / (2 * nystrom.Sigma * nystrom.Sigma);
        double Weight(int a, int b) => Math.Exp(-Enumerable.Range(0, d).Sum(e => (x[a, e] - x[b, e]) * (x[a, e] - x[b, e])) * scale);
        var w = Matrix<double>.Build.Dense(m, s, (r, c) => Weight(landmarks[r], subset[c]));
        var wll = Matrix<double>.Build.Dense(m, m, (r, c) => Weight(landmarks[r], landmarks[c]));
        var degrees = wll.RowSums();
        var image = wll * Matrix<double>.Build.Dense(m, k, (r, c) => ul[r, c] / Math.Sqrt(degrees[r]));
        var lambda = nystrom.Eigenvalues;
        var h = Matrix<double>.Build.Dense(m, k + 1, (r, c) => c < k ? image[r, c] / lambda[c] : degrees[r]);
        var g = w.TransposeThisAndMultiply(w);
        g += Matrix<double>.Build.DenseIdentity(s) * (SubsetExtensionRidge * g.Trace() / s);
        var a = g.Cholesky().Solve(w.TransposeThisAndMultiply(h));
        double maxErr = 0;
        for (int j = 0; j < k; j++)
        {
            Assert.That(Enumerable.Range(0, n).Sum(i => u[i, j]), Is.GreaterThanOrEqualTo(0), $"column {j} sums to ≥ 0 over the fitted rows");
            double sign = double.NaN;
            for (int i = 0; i < n; i += 7)
            {
                var wx = Vector<double>.Build.Dense(s, c => Weight(i, subset[c]));
                double expected = wx * a.Column(j) / Math.Sqrt(wx * a.Column(k));
                if (double.IsNaN(sign))
                    sign = Math.Sign(u[i, j] * expected);
                // The normal equations are ill-conditioned (cond ~1e10 here), so two float64 solves in another order agree
                // to ~1e-16·cond on A; the rows inherit it: |Δ| ≤ 1e-6 + 1e-5·|ref|.
                Assert.That(u[i, j], Is.EqualTo(sign * expected).Within(1e-6 + 1e-5 * Math.Abs(expected)), $"row {i}, vector {j}");
                maxErr = Math.Max(maxErr, Math.Abs(u[i, j] - sign * expected));
            }
        }
        TestContext.Out.WriteLine($"max |Δ| {maxErr:E2}; residual over the landmarks {nystrom.SubsetResidual:E2}");
    }

    /// <summary>The ridge of the least-squares subset extension (relative to the mean diagonal of its normal matrix), restated for the reference.</summary>
    private const double SubsetExtensionRidge = 1e-10;

    [Test]
    public void UniformLandmarks_AreTheFirstStepsOfASeededFisherYatesShuffle()
    {
        var x = TestData.Blobs(1000, 3, 2, separation: 4, seed: 12);
        using var nystrom = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 2, Seed = 21 }, EmbeddingChecks.ForcedNystrom());
        nystrom.Fit(x);
        var random = new Random(21);
        var rows = Enumerable.Range(0, 1000).ToArray();
        for (int i = 0; i < 250; i++)
        {
            int j = random.Next(i, 1000);
            (rows[i], rows[j]) = (rows[j], rows[i]);
        }
        Assert.That(nystrom.LandmarkIndices, Is.EqualTo(rows[..250].Order()));
    }

    [TestCase(100_000, 10240, null, 10240)] // n·m = 1.02·10⁹ ≤ 2³⁰: every landmark
    [TestCase(110_000, 10240, null, 9761)] // ⌊2³⁰/n⌋ = 9761
    [TestCase(1_000_000, 10240, null, 1073)] // ⌊2³⁰/n⌋ = 1073
    [TestCase(5_000_000, 10240, null, 1024)] // the floor of 1024
    [TestCase(10_000_000, 500, null, 500)] // never more than m
    [TestCase(1_000_000, 10240, 64, 64)] // given
    [TestCase(1000, 250, 4000, 250)] // given above m: m
    public void ClassicLandmarkCount_FollowsTheWorkBudget(int n, int m, int? given, int expected) =>
        Assert.That(new NystromOptions { ClassicLandmarks = given }.ClassicLandmarkCount(n, m), Is.EqualTo(expected));

    [TestCase(NystromPropagation.Classic, LandmarkSampling.Uniform)]
    [TestCase(NystromPropagation.NcutPytorch, LandmarkSampling.FarthestPoint)]
    public void SameSeed_BitIdentical_AndChunkSizeDoesNotMatter(NystromPropagation mode, LandmarkSampling sampling)
    {
        var x = TestData.ToFloat(TestData.Blobs(1500, 10, 5, separation: 4, seed: 5));
        var options = new NcutOptions { EigenvectorCount = 5, Seed = 7 };
        var nystrom = EmbeddingChecks.ForcedNystrom(mode) with { Sampling = sampling };
        using var fit = new NystromNcut(Cpu, options, nystrom);
        var first = fit.FitTransform(x);
        using var again = new NystromNcut(Cpu, options, nystrom);
        Assert.That(again.FitTransform(x), Is.EqualTo(first), "same seed, same bits");
        Assert.That(again.LandmarkIndices, Is.EqualTo(fit.LandmarkIndices));
        Assert.That(fit.LandmarkIndices, Has.Length.EqualTo(375).And.Ordered.Ascending.And.Unique);
        // 37-row chunks: the propagation holds O(37·(d + k)) on the device at a time; the result must not change.
        using var chunked = new NystromNcut(Cpu, options, nystrom with { ChunkRows = 37 });
        Assert.That(chunked.FitTransform(x), Is.EqualTo(first), "chunked");
        using var reseeded = new NystromNcut(Cpu, options with { Seed = 8 }, nystrom);
        reseeded.Fit(x);
        Assert.That(reseeded.LandmarkIndices, Is.Not.EqualTo(fit.LandmarkIndices), "another seed, other landmarks");
    }

    [Test]
    public void Transform_EmbedsFitRowsAsFitTransform_AndHeldOutPointsInTheirClusters()
    {
        const int n = 2000, c = 5;
        var all = TestData.Blobs(n + 500, 12, c, separation: 4, seed: 6);
        var x = new double[n, 12];
        var held = new double[500, 12];
        for (int i = 0; i < n + 500; i++)
            for (int e = 0; e < 12; e++)
                (i < n ? x : held)[i < n ? i : i - n, e] = all[i, e];
        using var nystrom = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = c }, EmbeddingChecks.ForcedNystrom());
        var u = nystrom.FitTransform(x);
        var rows = new double[200, 12];
        for (int i = 0; i < 200; i++)
            for (int e = 0; e < 12; e++)
                rows[i, e] = x[300 + i, e];
        var again = nystrom.Transform(rows);
        for (int i = 0; i < 200; i++)
            for (int j = 0; j < c; j++)
                Assert.That(again[i, j], Is.EqualTo(u[300 + i, j]), $"row {300 + i}, vector {j}: no refit, rows independent");
        // Held-out points: the k-way rotation fitted on the fit's embedding labels them by their blob.
        var kway = new KwayNcut(new KwayOptions { ClusterCount = c, Method = KwayMethod.SphericalKMeans });
        kway.Fit(u);
        var labels = kway.Predict(nystrom.Transform(held));
        Assert.That(TestData.Nmi(labels, Enumerable.Range(n, 500).Select(i => i % c).ToArray()), Is.GreaterThanOrEqualTo(0.95));
    }

    [Test]
    public void Anchors_AreFarthestLandmarks_WithNcutPytorchsNeighbourRule()
    {
        var x = TestData.Blobs(2400, 6, 4, separation: 4, seed: 8);
        var options = new NcutOptions { EigenvectorCount = 4 };
        using var nystrom = new NystromNcut(Cpu, options, EmbeddingChecks.ForcedNystrom(NystromPropagation.Renormalized) with { AnchorCount = 128 });
        nystrom.Fit(x);
        Assert.That(nystrom.AnchorIndices, Has.Length.EqualTo(128));
        Assert.That(nystrom.AnchorIndices, Is.SubsetOf(nystrom.LandmarkIndices));
        Assert.That(nystrom.PropagationNeighbours, Is.EqualTo(4), "max(4, ⌊min(32, 128/32)⌋)");
        Assert.That(nystrom.PropagationSigma, Is.GreaterThan(0));
        using var classic = new NystromNcut(Cpu, options, EmbeddingChecks.ForcedNystrom());
        classic.Fit(x);
        Assert.That(classic.AnchorIndices, Is.EqualTo(classic.LandmarkIndices), "the classic extension sums over every landmark");
        Assert.That(classic.PropagationSigma, Is.EqualTo(classic.Sigma));
        // An exact-path fit prepares its anchors on the first Transform.
        using var exact = new NystromNcut(Cpu, options);
        exact.Fit(TestData.Blobs(600, 6, 4, separation: 4, seed: 8));
        Assert.That(exact.AnchorIndices, Is.Empty);
        exact.Transform(new double[,] { { 0, 0, 0, 0, 0, 0 } });
        Assert.That(exact.AnchorIndices, Has.Length.EqualTo(600));
        // A given subset on the exact path: the first Transform draws it among all n points, later ones reuse it.
        using var subset = new NystromNcut(Cpu, options, new NystromOptions { ClassicLandmarks = 50 });
        var points = TestData.Blobs(600, 6, 4, separation: 4, seed: 8);
        subset.Fit(points);
        var first = subset.Transform(points);
        Assert.That(subset.AnchorIndices, Has.Length.EqualTo(50).And.Ordered.Ascending.And.Unique.And.All.InRange(0, 599));
        Assert.That(subset.Transform(points), Is.EqualTo(first));
        Assert.That(first.Cast<double>(), Is.All.Matches<double>(double.IsFinite));
    }

    [Test]
    public void IlgpuDevice_MatchesManagedFloat32()
    {
        var x = TestData.ToFloat(TestData.Blobs(160, 4, 3, separation: 5, seed: 9));
        var options = new NcutOptions { EigenvectorCount = 3, Sigma = 2 };
        using var ilgpu = ComputeDevice.Create(DeviceKind.IlgpuCpu);
        foreach (var (mode, subset) in new[] { (NystromPropagation.Classic, (int?)null), (NystromPropagation.Classic, 12), (NystromPropagation.NcutPytorch, null) })
        {
            using var onDeviceNcut = new NystromNcut(ilgpu, options, EmbeddingChecks.ForcedNystrom(mode) with { ClassicLandmarks = subset });
            var onDevice = onDeviceNcut.FitTransform(x);
            using var managedNcut = new NystromNcut(Cpu, options, EmbeddingChecks.ForcedNystrom(mode) with { ClassicLandmarks = subset });
            var managed = managedNcut.FitTransform(x);
            // float32 kernels vs the managed backend: eigenvectors agree to ~1e-5 (KernelTwinTests), so do their extensions (the
            // least-squares subset's normal equations are float64 on both). Column signs come from each output's own sums.
            Assert.That(TestData.SubspaceSin(TestData.Orthonormal(TestData.Matrix(managed)), TestData.Orthonormal(TestData.Matrix(onDevice))),
                Is.LessThan(1e-3), $"{mode}, subset {subset}");
            for (int c = 0; c < 3; c++)
                Assert.That(Enumerable.Range(0, 160).Sum(i => (double)onDevice[i, c]), Is.GreaterThanOrEqualTo(0), $"{mode}, subset {subset}: column {c} sums to ≥ 0");
            Assert.That(onDeviceNcut.Transform(x), Is.EqualTo(onDevice), $"{mode}, subset {subset}: transforms keep the fit's signs");
        }
    }

    [Test]
    public void BadInput_ThrowsNamingTheParameter()
    {
        var x = TestData.Blobs(200, 3, 2, separation: 4, seed: 10);
        Assert.Multiple(() =>
        {
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { SampleCount = 1 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("SampleCount"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { SampleMaxRatio = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("SampleMaxRatio"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { ExactThreshold = -1 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ExactThreshold"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { Sampling = (LandmarkSampling)7 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Sampling"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { Path = (EmbeddingPath)7 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Path"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { Propagation = (NystromPropagation)7 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Propagation"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { AnchorCount = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("AnchorCount"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { Neighbours = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Neighbours"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { NeighboursMaxRatio = 1.5 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("NeighboursMaxRatio"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { ChunkRows = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ChunkRows"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { ExtrapolationFactor = double.NaN }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ExtrapolationFactor"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { ClassicLandmarks = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("ClassicLandmarks"));
            Assert.That(() => new NystromNcut(Cpu, null, new NystromOptions { DistancePrecision = (DistancePrecision)7 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("DistancePrecision"));
            Assert.That(() => new NystromNcut(Cpu, new NcutOptions { Affinity = AffinityKind.Cosine }, EmbeddingChecks.ForcedNystrom()),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("nystrom").And.Message.Contains("Cosine"));
            Assert.That(() => new NystromNcut(Cpu, new NcutOptions { Sigma = -1 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Sigma"));

            using var fitted = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 2 }, EmbeddingChecks.ForcedNystrom());
            Assert.That(() => fitted.Transform(x), Throws.InvalidOperationException.With.Message.Contains("Fit"));
            // n = 200 → m = 50 landmarks: k = 50 is too many.
            Assert.That(() => new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 50 }, EmbeddingChecks.ForcedNystrom()).Fit(x),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("EigenvectorCount").And.Message.Contains("m = 50"));
            var bad = (double[,])x.Clone();
            bad[17, 2] = double.NaN;
            Assert.That(() => fitted.Fit(bad), Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("row 17"));
            Assert.That(() => fitted.Fit(new double[1, 3]), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("rows"));
            Assert.That(() => fitted.Fit(new double[0, 3]), Throws.ArgumentException.With.Property("ParamName").EqualTo("x"));
            Assert.That(() => fitted.Fit((double[,])null!), Throws.ArgumentNullException);
            Assert.That(() => fitted.Fit((DeviceMatrix<double>)null!), Throws.ArgumentNullException);
            fitted.Fit(x);
            Assert.That(() => fitted.Transform(new double[4, 5]), Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("d = 3"));
            Assert.That(() => fitted.Transform(bad), Throws.ArgumentException.With.Property("ParamName").EqualTo("x"));
            Assert.That(() => fitted.Fit(new Half[4, 3]), Throws.InstanceOf<NotSupportedException>());
        });
    }
}
