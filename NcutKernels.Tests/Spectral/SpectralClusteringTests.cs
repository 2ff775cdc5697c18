// SpectralClusteringTests: SpectralClustering recovers separated blobs (both k-way methods, exact and Nyström), Labels against Predict, Transform's shape and rows, and every refusal.
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class SpectralClusteringTests : CpuFixture
{
    /// <summary>n points in c blobs (point i in blob i mod c), centres ~ 20 apart at spread 1: no point is near another blob.</summary>
    private static double[,] Blobs(int n, int c, int seed) => TestData.Blobs(n, 6, c, separation: 20, seed: seed);

    private static int[] Truth(int n, int c) => Enumerable.Range(0, n).Select(i => i % c).ToArray();

    /// <summary>Asserts that <paramref name="labels"/> split the points as <paramref name="truth"/> does, up to a permutation of the cluster numbers.</summary>
    internal static void AssertSamePartition(int[] labels, int[] truth, int clusters)
    {
        Assert.That(labels, Has.Length.EqualTo(truth.Length));
        var map = new Dictionary<int, int>();
        for (int i = 0; i < truth.Length; i++)
            if (!map.TryAdd(truth[i], labels[i]))
                Assert.That(labels[i], Is.EqualTo(map[truth[i]]), $"point {i} of blob {truth[i]}");
        Assert.That(map.Values.Distinct().Count(), Is.EqualTo(clusters), "one cluster per blob");
    }

    private static SpectralClusteringOptions Settings(KwayMethod method, EmbeddingPath path, int k) => new()
    {
        Ncut = new NcutOptions { EigenvectorCount = k },
        Nystrom = new NystromOptions { Path = path },
        Kway = new KwayOptions { ClusterCount = 4, Method = method },
    };

    [TestCase(KwayMethod.AxisAlign, EmbeddingPath.Exact)]
    [TestCase(KwayMethod.AxisAlign, EmbeddingPath.Nystrom)]
    [TestCase(KwayMethod.SphericalKMeans, EmbeddingPath.Exact)]
    [TestCase(KwayMethod.SphericalKMeans, EmbeddingPath.Nystrom)]
    public void SeparatedBlobs_AreRecoveredExactly_UpToPermutation(KwayMethod method, EmbeddingPath path)
    {
        const int n = 600, c = 4;
        var x = Blobs(n, c, seed: 11);
        // Spherical k-means may use more eigenvectors than clusters; axis alignment uses exactly C.
        using var clustering = new SpectralClustering(Cpu, c, Settings(method, path, method == KwayMethod.AxisAlign ? c : c + 2));
        var labels = clustering.Fit(x).Labels;
        Assert.That(clustering.Embedding.Path, Is.EqualTo(path));
        AssertSamePartition(labels, Truth(n, c), c);
    }

    [Test]
    public void Float32_AndTheSpanOverload_GiveTheSameClusters()
    {
        const int n = 400, c = 3;
        var x = TestData.ToFloat(Blobs(n, c, seed: 12));
        using var clustering = new SpectralClustering(Cpu, c);
        var labels = clustering.Fit(x).Labels;
        AssertSamePartition(labels, Truth(n, c), c);
        var flat = x.Cast<float>().ToArray();
        Assert.That(clustering.Fit<float>(flat, n, 6).Labels, Is.EqualTo(labels), "same data, same options: same labels");
    }

    [Test]
    public void Defaults_AreCEigenvectors_AxisAlignment_AndTheEmbeddingsSeed()
    {
        using var clustering = new SpectralClustering(Cpu, 5, new SpectralClusteringOptions { Ncut = new NcutOptions { EigenvectorCount = 8, Seed = 3 } });
        Assert.That(clustering.Options.Kway, Is.EqualTo(new KwayOptions { ClusterCount = 5, Method = KwayMethod.AxisAlign, Seed = 3 }));
        using var plain = new SpectralClustering(Cpu, 5);
        Assert.That(plain.Options.Ncut!.EigenvectorCount, Is.EqualTo(5));
        Assert.That(plain.Options.Nystrom, Is.EqualTo(new NystromOptions()));
        Assert.That(plain.Clusters, Is.EqualTo(5));
    }

    [Test]
    public void NystromPath_LabelsEqualPredict_AndScoresEqualTransform_OnTheFittedRows()
    {
        // On the Nyström path the fit's own embedding is the out-of-sample extension, so the two are the same numbers.
        const int n = 800, c = 4;
        var x = TestData.Blobs(n, 5, c, separation: 4, seed: 13);
        using var clustering = new SpectralClustering(Cpu, c, Settings(KwayMethod.AxisAlign, EmbeddingPath.Nystrom, c));
        var scores = clustering.FitTransform(x);
        Assert.That(clustering.Transform(x), Is.EqualTo(scores));
        Assert.That(clustering.Predict(x), Is.EqualTo(clustering.Labels));
        Assert.That(KwayNcut.Labels(scores), Is.EqualTo(clustering.Labels));
    }

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void ExactPath_Rbf_PredictOfTheFittedRows_AgreesWithLabels(KwayMethod method)
    {
        // The exact path's extension (the classic formula over every point) reproduces the exact eigenvectors to rounding:
        // scores within 1e-9 + 1e-9·|score| in float64, and no row of separated blobs is near a tie.
        const int n = 300, c = 3;
        var x = Blobs(n, c, seed: 14);
        using var clustering = new SpectralClustering(Cpu, c, new SpectralClusteringOptions { Kway = new KwayOptions { ClusterCount = c, Method = method } });
        var scores = clustering.FitTransform(x);
        Assert.That(clustering.Embedding.Path, Is.EqualTo(EmbeddingPath.Exact));
        var again = clustering.Transform(x);
        Tolerances.AssertClose(again.Cast<double>().ToArray(), scores.Cast<double>().ToArray(), 1e-9, 1e-9, "scores of the fitted rows", c);
        Assert.That(clustering.Predict(x), Is.EqualTo(clustering.Labels));
    }

    [Test]
    public void Transform_IsNByC_RowByRow_AndNewPointsJoinTheirBlobsCluster()
    {
        const int n = 400, c = 4;
        var x = Blobs(n, c, seed: 15);
        using var clustering = new SpectralClustering(Cpu, c, Settings(KwayMethod.SphericalKMeans, EmbeddingPath.Auto, c + 1));
        var labels = clustering.Fit(x).Labels;
        // Fresh draws of the same blobs: Blobs() with the same seed and more points reproduces the centres (drawn first).
        var more = Blobs(n + 40, c, seed: 15);
        var fresh = new double[40, 6];
        for (int i = 0; i < 40; i++)
            for (int j = 0; j < 6; j++)
                fresh[i, j] = more[n + i, j];
        var scores = clustering.Transform(fresh);
        Assert.That((scores.GetLength(0), scores.GetLength(1)), Is.EqualTo((40, c)));
        var predicted = clustering.Predict(fresh);
        for (int i = 0; i < 40; i++)
            Assert.That(predicted[i], Is.EqualTo(labels[(n + i) % c]), $"fresh point {i} of blob {(n + i) % c}");
        // A row's scores do not depend on the rows transformed with it (float64, summed in the same order: to 1e-12).
        for (int i = 0; i < 40; i += 13)
        {
            var alone = clustering.Transform(new[] { fresh[i, 0], fresh[i, 1], fresh[i, 2], fresh[i, 3], fresh[i, 4], fresh[i, 5] }, 1, 6);
            for (int j = 0; j < c; j++)
                Assert.That(alone[0, j], Is.EqualTo(scores[i, j]).Within(1e-12 + 1e-12 * Math.Abs(scores[i, j])), $"row {i}, cluster {j}");
        }
        Assert.That(clustering.Transform(TestData.ToFloat(fresh)), Has.Length.EqualTo(40 * c), "a float32 transform of a float64 fit");
    }

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void ARotationStoppedAtItsCap_IsAWarning_AndUnderStrictAnErrorThatLeavesNoFit(KwayMethod method)
    {
        const int n = 300, c = 4;
        var x = TestData.Blobs(n, 6, c, separation: 0.5, seed: 13);   // overlapping blobs: the rotation needs more than one step
        var warnings = new List<NcutWarning>();
        SpectralClusteringOptions Capped(bool strict) => new()
        {
            Ncut = new NcutOptions { EigenvectorCount = c, OnWarning = warnings.Add, Strict = strict },
            Kway = new KwayOptions { ClusterCount = c, Method = method, MaxIterations = 1 },
        };
        using (var clustering = new SpectralClustering(Cpu, c, Capped(strict: false)))
        {
            Assert.That(clustering.Fit(x).Labels, Has.Length.EqualTo(n));
            Assert.That(clustering.Kway.Converged, Is.False, "one iteration does not converge here");
        }
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0].Source, Is.EqualTo("k-way rotation"));
        Assert.That(warnings[0].Remedy, Does.Contain("MaxIterations"));
        using var strict = new SpectralClustering(Cpu, c, Capped(strict: true));
        var e = Assert.Throws<NcutReliabilityException>(() => strict.Fit(x));
        Assert.That(e!.Warning.Source, Is.EqualTo("k-way rotation"));
        Assert.That(strict.IsFitted, Is.False);
    }

    [Test]
    public void Constructor_RefusesBadSettings_NamingThem()
    {
        Assert.That(() => new SpectralClustering(null!, 3), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("device"));
        Assert.That(() => new SpectralClustering(Cpu, 1), Throws.TypeOf<ArgumentOutOfRangeException>()
            .With.Property("ParamName").EqualTo("clusters").And.Message.Contains("at least 2"));
        Assert.That(() => new SpectralClustering(Cpu, 5, new SpectralClusteringOptions { Ncut = new NcutOptions { EigenvectorCount = 4 } }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("clusters").And.Message.Contains("EigenvectorCount = 4"));
        Assert.That(() => new SpectralClustering(Cpu, 3, new SpectralClusteringOptions { Kway = new KwayOptions { ClusterCount = 4 } }),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("options").And.Message.Contains("ClusterCount is 4"));
        Assert.That(() => new SpectralClustering(Cpu, 3, new SpectralClusteringOptions
            {
                Ncut = new NcutOptions { EigenvectorCount = 4 },
                Kway = new KwayOptions { ClusterCount = 3, Method = KwayMethod.SphericalKMeans, EigenvectorCount = 6 },
            }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("options").And.Message.Contains("EigenvectorCount"));
        Assert.That(() => new SpectralClustering(Cpu, 3, new SpectralClusteringOptions { Ncut = new NcutOptions { EigenvectorCount = 3, Quantile = 2 } }),
            Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("Quantile"));
        Assert.That(() => new SpectralClustering(Cpu, 3, new SpectralClusteringOptions { Kway = new KwayOptions { ClusterCount = 3, MaxIterations = 0 } }),
            Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo("MaxIterations"));
        var gone = ComputeDevice.Create(DeviceKind.Cpu);
        gone.Dispose();
        Assert.That(() => new SpectralClustering(gone, 3), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void Fit_RefusesBadInput_NamingIt_AndLeavesNoFit()
    {
        using var clustering = new SpectralClustering(Cpu, 3);
        Assert.That(() => clustering.Labels, Throws.InvalidOperationException.With.Message.Contains("Fit"));
        Assert.That(() => clustering.Transform(Blobs(10, 3, 1)), Throws.InvalidOperationException.With.Message.Contains("Fit"));
        Assert.That(() => clustering.Fit((double[,])null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("x"));
        Assert.That(() => clustering.Fit(new double[2, 4]), Throws.TypeOf<ArgumentOutOfRangeException>()
            .With.Property("ParamName").EqualTo("x").And.Message.Contains("2 rows, fewer than the 3 clusters"));
        Assert.That(() => clustering.Fit<double>(new double[12], 2, 6), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("rows"));
        // k = C = 3 eigenvectors need more than 3 points.
        Assert.That(() => clustering.Fit(new double[3, 4]), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("EigenvectorCount"));
        Assert.That(() => clustering.Fit<double>(new double[10], 4, 3), Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("4×3"));

        var x = Blobs(60, 3, 2);
        clustering.Fit(x);
        Assert.That(clustering.IsFitted, Is.True);
        Assert.That(() => clustering.Transform(new double[5, 7]), Throws.InstanceOf<ArgumentException>().With.Message.Contains("7"));
        var bad = (double[,])x.Clone();
        bad[17, 4] = double.NaN;
        Assert.That(() => clustering.Predict(bad), Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("row 17"));
        Assert.That(() => clustering.Fit(bad), Throws.ArgumentException.With.Property("ParamName").EqualTo("x").And.Message.Contains("row 17, column 4"));
        Assert.That(clustering.IsFitted, Is.False, "a failed fit leaves no labels of the previous one");
        Assert.That(() => clustering.Labels, Throws.InvalidOperationException);
    }

    [Test]
    public void Dispose_KeepsTheLabels_AndRefusesFurtherWork()
    {
        var x = Blobs(90, 3, 3);
        var clustering = new SpectralClustering(Cpu, 3, Settings(KwayMethod.AxisAlign, EmbeddingPath.Nystrom, 3) with
        {
            Kway = new KwayOptions { ClusterCount = 3 },
        });
        var labels = clustering.Fit(x).Labels;
        clustering.Dispose();
        Assert.That(clustering.Labels, Is.EqualTo(labels));
        Assert.That(() => clustering.Fit(x), Throws.TypeOf<ObjectDisposedException>());
        Assert.That(() => clustering.Predict(x), Throws.TypeOf<ObjectDisposedException>());
    }
}
