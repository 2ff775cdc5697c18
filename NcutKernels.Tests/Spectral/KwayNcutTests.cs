// KwayNcutTests: k-way discretization: orthogonal / unit-column rotations, planted and Ncut-blob cluster recovery (NMI), seeds, the tape path, zero rows and bad input.
using MathNet.Numerics.LinearAlgebra;
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;
using NUnit.Framework.Constraints;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class KwayNcutTests
{
    /// <summary>
    /// Eigenvector-like embedding of n rows in k planted groups (sizes 1 : 2 : … : k, rows shuffled): the normalized
    /// indicator vectors H (n×k, columns of unit norm), rotated by a random orthogonal Q, followed by
    /// <paramref name="extra"/> small noise columns, plus Gaussian noise of <paramref name="noise"/> times each row's scale.
    /// </summary>
    private static (double[,] u, int[] groups) Planted(int n, int k, double noise, int seed, int extra = 0)
    {
        var rng = new Random(seed);
        int total = k * (k + 1) / 2, start = 0;
        var groups = new int[n];
        var sizes = new int[k];
        for (int j = 0; j < k; j++)
        {
            sizes[j] = j == k - 1 ? n - start : n * (j + 1) / total;
            groups.AsSpan(start, sizes[j]).Fill(j);
            start += sizes[j];
        }
        rng.Shuffle(groups);
        var q = Matrix<double>.Build.Dense(k, k, (_, _) => TestData.Gaussian(rng)).QR().Q;
        var u = new double[n, k + extra];
        for (int i = 0; i < n; i++)
        {
            double scale = 1 / Math.Sqrt(sizes[groups[i]]);
            for (int a = 0; a < k; a++)
                u[i, a] = scale * (q[groups[i], a] + noise * TestData.Gaussian(rng));
            for (int a = k; a < k + extra; a++)
                u[i, a] = scale * noise * TestData.Gaussian(rng);
        }
        return (u, groups);
    }

    private static KwayNcut Kway(KwayMethod method, int k, int? sampleSize = KwayOptions.DefaultSampleSize, int seed = 0) =>
        new(new KwayOptions { ClusterCount = k, Method = method, SampleSize = sampleSize, Seed = seed });

    [Test]
    public void Nmi_Helper_ScoresPermutationOneAndIndependenceZero()
    {
        // guards the helper itself: a relabeling scores 1, a split that carries no information scores 0
        Assert.That(TestData.Nmi([0, 0, 1, 1, 2, 2], [2, 2, 0, 0, 1, 1]), Is.EqualTo(1).Within(1e-12));
        Assert.That(TestData.Nmi([0, 0, 1, 1], [0, 1, 0, 1]), Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void AxisAlign_RotationIsOrthogonal()
    {
        var (u, _) = Planted(600, 6, noise: 0.3, seed: 1);
        var kway = Kway(KwayMethod.AxisAlign, 6);
        var r = TestData.Matrix(kway.Fit(u));
        Assert.That(r.RowCount, Is.EqualTo(6));
        Assert.That(r.ColumnCount, Is.EqualTo(6));
        // |RᵀR − I| ≤ 1e-12 entrywise (Jacobi SVD factors are orthogonal to ~1e-15)
        Assert.That((r.Transpose() * r - Matrix<double>.Build.DenseIdentity(6)).InfinityNorm(), Is.LessThan(1e-12));
        Assert.That(kway.Converged, Is.True, $"{kway.Iterations} iterations");
    }

    [Test]
    public void SphericalKMeans_RotationHasUnitColumns()
    {
        // ncut_pytorch's quick_kway returns the unit centroids: unit columns, not an orthogonal matrix.
        var (u, _) = Planted(600, 5, noise: 0.3, seed: 2, extra: 2);
        var kway = Kway(KwayMethod.SphericalKMeans, 5);
        var r = TestData.Matrix(kway.Fit(u));
        Assert.That(r.RowCount, Is.EqualTo(7), "all 7 columns are used by default");
        Assert.That(r.ColumnCount, Is.EqualTo(5));
        for (int j = 0; j < 5; j++)
            // |‖r_j‖ − 1| ≤ 1e-12
            Assert.That(r.Column(j).L2Norm(), Is.EqualTo(1).Within(1e-12), $"column {j}");
        Assert.That(kway.Converged, Is.True, $"{kway.Iterations} iterations");
    }

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void PlantedClusters_AreRecovered(KwayMethod method)
    {
        var (u, groups) = Planted(800, 6, noise: 0.15, seed: 3);
        var labels = KwayNcut.Labels(Kway(method, 6).FitTransform(u));
        Assert.That(TestData.Nmi(labels, groups), Is.GreaterThanOrEqualTo(0.99));
    }

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void NcutEigenvectorsOfBlobs_AreRecovered(KwayMethod method)
    {
        const int n = 300, k = 4;
        var x = TestData.Blobs(n, 8, k, separation: 6, seed: 11);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var u = new Ncut(device, new NcutOptions { EigenvectorCount = k, Sigma = 3 }).FitTransform(x);
        var kway = Kway(method, k);
        kway.Fit(u);
        var labels = kway.Predict(u);
        Assert.That(TestData.Nmi(labels, Enumerable.Range(0, n).Select(i => i % k).ToArray()), Is.GreaterThanOrEqualTo(0.99));
    }

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void SampledFit_RecoversClustersOfAllRows(KwayMethod method)
    {
        // n = 4000 > 4 × 250: axis alignment draws evenly spaced candidates, then farthest points; k-means a random sample.
        var (u, groups) = Planted(4000, 5, noise: 0.15, seed: 4, extra: 3);
        var kway = new KwayNcut(new KwayOptions { ClusterCount = 5, Method = method, EigenvectorCount = 5, SampleSize = 250, Seed = 9 });
        kway.Fit(u);
        Assert.That(TestData.Nmi(kway.Predict(u), groups), Is.GreaterThanOrEqualTo(0.99));
    }

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void Seed_SameGivesIdenticalRotation_OtherChangesSample(KwayMethod method)
    {
        var (u, _) = Planted(2000, 5, noise: 0.3, seed: 5, extra: 4);
        var options = new KwayOptions { ClusterCount = 5, Method = method, EigenvectorCount = 5, SampleSize = 200, Seed = 21 };
        var first = new KwayNcut(options).Fit(u);
        var again = new KwayNcut(options).Fit(u);
        var other = new KwayNcut(options with { Seed = 22 }).Fit(u);
        Assert.That(again, Is.EqualTo(first).AsCollection, "same seed: bit-identical R");
        Assert.That(other, Is.Not.EqualTo(first).AsCollection, "another seed samples other rows");
    }

    [Test]
    public void AxisAlign_UsesTheLeadingKColumns()
    {
        var (u, _) = Planted(500, 4, noise: 0.2, seed: 6, extra: 3);
        var leading = new double[500, 4];
        for (int i = 0; i < 500; i++)
            for (int a = 0; a < 4; a++)
                leading[i, a] = u[i, a];
        var fromAll = Kway(KwayMethod.AxisAlign, 4).Fit(u);
        Assert.That(fromAll.GetLength(0), Is.EqualTo(4));
        Assert.That(fromAll, Is.EqualTo(Kway(KwayMethod.AxisAlign, 4).Fit(leading)).AsCollection);
    }

    [Test]
    public void SphericalKMeans_MayUseFewerColumnsThanClusters()
    {
        var (u, _) = Planted(400, 6, noise: 0.2, seed: 7);
        var kway = new KwayNcut(new KwayOptions { ClusterCount = 6, Method = KwayMethod.SphericalKMeans, EigenvectorCount = 3 });
        var r = TestData.Matrix(kway.Fit(u));
        Assert.That((r.RowCount, r.ColumnCount), Is.EqualTo((3, 6)));
        Assert.That(kway.Predict(u).Distinct().Count(), Is.GreaterThan(3), "more clusters than dimensions are populated");
    }

    [Test]
    public void Columns_AreOrderedBySecondRowAscending()
    {
        var (u, _) = Planted(500, 5, noise: 0.2, seed: 8);
        foreach (var method in new[] { KwayMethod.AxisAlign, KwayMethod.SphericalKMeans })
        {
            var r = Kway(method, 5).Fit(u);
            for (int j = 1; j < 5; j++)
                Assert.That(r[1, j], Is.GreaterThanOrEqualTo(r[1, j - 1]), $"{method}: column {j}");
        }
    }

    [Test]
    public void Transform_IsLeadingColumnsTimesRotation()
    {
        var (u, _) = Planted(300, 4, noise: 0.2, seed: 9, extra: 2);
        var kway = Kway(KwayMethod.AxisAlign, 4);
        var r = TestData.Matrix(kway.Fit(u));
        var lead = TestData.Matrix(u).SubMatrix(0, 300, 0, 4);
        var expected = lead * r;
        var normalized = Matrix<double>.Build.DenseOfRowVectors(lead.EnumerateRows().Select(row => row / row.L2Norm())) * r;
        var scores = kway.Transform(u);
        var cosines = kway.Transform(u, normalizeRows: true);
        var single = kway.Transform(TestData.ToFloat(u));
        for (int i = 0; i < 300; i++)
            for (int j = 0; j < 4; j++)
            {
                // |s − ref| ≤ 1e-14 + 1e-12·|ref| (float64, same products in another order)
                Assert.That(scores[i, j], Is.EqualTo(expected[i, j]).Within(1e-14 + 1e-12 * Math.Abs(expected[i, j])));
                Assert.That(cosines[i, j], Is.EqualTo(normalized[i, j]).Within(1e-14 + 1e-12 * Math.Abs(normalized[i, j])));
                // float32 input: |s − ref| ≤ 1e-6 + 1e-5·|ref| (input rounding)
                Assert.That(single[i, j], Is.EqualTo(expected[i, j]).Within(1e-6 + 1e-5 * Math.Abs(expected[i, j])));
            }
        Assert.That(KwayNcut.Labels(cosines), Is.EqualTo(KwayNcut.Labels(scores)), "row scaling leaves labels unchanged");
        Assert.That(kway.RotationAs<float>()[1, 2], Is.EqualTo((float)r[1, 2]));
    }

    [Test]
    public void TapeTransform_MatchesHostAndBackpropagatesToEigenvectors()
    {
        const int n = 60, k = 3, m = 5;
        var (u, _) = Planted(n, k, noise: 0.2, seed: 10, extra: m - k);
        var kway = Kway(KwayMethod.AxisAlign, k);
        var r = kway.Fit(u);
        var host = kway.Transform(u);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var v = tape.Input(u);
        var scores = kway.Transform(tape, v);
        tape.Backward(tape.Sum(scores));
        var value = scores.ToArray();
        var grad = v.Gradient;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
                // |s − host| ≤ 1e-14 + 1e-12·|host|
                Assert.That(value[i, j], Is.EqualTo(host[i, j]).Within(1e-14 + 1e-12 * Math.Abs(host[i, j])));
            // d(Σ U[:, :k]·R)/dU[i, a] = Σ_j R[a, j] for a < k, 0 for the unused columns
            for (int a = 0; a < m; a++)
            {
                double expected = a < k ? Enumerable.Range(0, k).Sum(j => r[a, j]) : 0;
                Assert.That(grad[i, a], Is.EqualTo(expected).Within(1e-14), $"dU[{i},{a}]");
            }
        }
    }

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void ZeroRows_StayFiniteAndGetLabelZero(KwayMethod method)
    {
        var (u, groups) = Planted(400, 4, noise: 0.15, seed: 12);
        int[] zero = [0, 17, 100, 399];
        foreach (int i in zero)
            for (int a = 0; a < 4; a++)
                u[i, a] = 0;
        var kway = Kway(method, 4);
        var r = kway.Fit(u);
        Assert.That(r.Cast<double>().All(double.IsFinite), Is.True, "R finite");
        var scores = kway.Transform(u, normalizeRows: true);
        Assert.That(scores.Cast<double>().All(double.IsFinite), Is.True, "scores finite");
        var labels = KwayNcut.Labels(scores);
        Assert.That(zero.Select(i => labels[i]), Is.All.EqualTo(0), "all-zero scores: the first column wins");
        var rest = Enumerable.Range(0, 400).Except(zero).ToArray();
        Assert.That(TestData.Nmi(rest.Select(i => labels[i]).ToArray(), rest.Select(i => groups[i]).ToArray()), Is.GreaterThanOrEqualTo(0.99));
    }

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void AllZeroInput_GivesFiniteRotation(KwayMethod method)
    {
        var kway = Kway(method, 3);
        var r = TestData.Matrix(kway.Fit(new double[10, 3]));
        Assert.That(r.Enumerate().All(double.IsFinite), Is.True);
        if (method == KwayMethod.AxisAlign)
            // |RᵀR − I| ≤ 1e-12: the SVD of the zero matrix still has orthogonal factors
            Assert.That((r.Transpose() * r - Matrix<double>.Build.DenseIdentity(3)).InfinityNorm(), Is.LessThan(1e-12));
    }

    [Test]
    public void Labels_TakeRowArgmaxWithTiesToTheLowestColumn() =>
        Assert.That(KwayNcut.Labels(new double[,] { { 0.1, 0.7, 0.2 }, { 0.5, 0.5, -1 }, { -3, -2, -1 }, { 0, 0, 0 } }),
            Is.EqualTo(new[] { 1, 0, 2, 0 }));

    // ---- bad input ---------------------------------------------------------------------------------------

    private static Constraint Names(string param, string value) =>
        Throws.InstanceOf<ArgumentException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo(param).And.Message.Contains(value);

    [Test]
    public void BadOptions_ThrowNamingTheOptionAndValue()
    {
        Assert.That(() => new KwayNcut(new KwayOptions { ClusterCount = 1 }), Names(nameof(KwayOptions.ClusterCount), "1"));
        Assert.That(() => new KwayNcut(new KwayOptions { Method = (KwayMethod)7 }), Names(nameof(KwayOptions.Method), "7"));
        Assert.That(() => new KwayNcut(new KwayOptions { MaxIterations = 0 }), Names(nameof(KwayOptions.MaxIterations), "0"));
        Assert.That(() => new KwayNcut(new KwayOptions { Tolerance = double.NaN }), Names(nameof(KwayOptions.Tolerance), "NaN"));
        Assert.That(() => new KwayNcut(new KwayOptions { ClusterCount = 8, SampleSize = 5 }), Names(nameof(KwayOptions.SampleSize), "5"));
        Assert.That(() => new KwayNcut(new KwayOptions { Method = KwayMethod.SphericalKMeans, EigenvectorCount = 1 }),
            Names(nameof(KwayOptions.EigenvectorCount), "1"));
        Assert.That(() => new KwayNcut(new KwayOptions { ClusterCount = 4, EigenvectorCount = 6 }), Names(nameof(KwayOptions.EigenvectorCount), "6"));
    }

    [TestCase(KwayMethod.AxisAlign, 5, null)]
    [TestCase(KwayMethod.SphericalKMeans, 3, 6)]
    public void TooFewColumns_Throws(KwayMethod method, int k, int? used)
    {
        var kway = new KwayNcut(new KwayOptions { ClusterCount = k, Method = method, EigenvectorCount = used });
        Assert.That(() => kway.Fit(new double[20, 4]), Names("eigenvectors", "4 columns"));
    }

    [Test]
    public void FewerRowsThanClusters_Throws() =>
        Assert.That(() => Kway(KwayMethod.AxisAlign, 4).Fit(new double[3, 4]), Names("eigenvectors", "3 rows"));

    [Test]
    public void SingleColumnForKMeans_Throws() =>
        Assert.That(() => Kway(KwayMethod.SphericalKMeans, 2).Fit(new double[10, 1]), Names("eigenvectors", "1 column"));

    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void NonFiniteEigenvector_Throws(double bad)
    {
        var (u, _) = Planted(50, 3, 0.1, 1);
        u[7, 2] = bad;
        var kway = Kway(KwayMethod.AxisAlign, 3);
        Assert.That(() => kway.Fit(u), Names("eigenvectors", "row 7, column 2").And.Message.Contains(bad.ToString()));
        var f = TestData.ToFloat(u);
        Assert.That(() => kway.Fit(f), Names("eigenvectors", "row 7, column 2"));
    }

    [Test]
    public void EmptyOrNullEigenvectors_Throw()
    {
        var kway = Kway(KwayMethod.AxisAlign, 2);
        Assert.That(() => kway.Fit(new double[0, 3]), Names("eigenvectors", "non-empty"));
        Assert.That(() => kway.Fit<double>(null!), Throws.TypeOf<ArgumentNullException>().With.Property(nameof(ArgumentException.ParamName)).EqualTo("eigenvectors"));
    }

    [Test]
    public void TransformBeforeFit_ThrowsInvalidOperation()
    {
        var kway = Kway(KwayMethod.AxisAlign, 2);
        Assert.That(kway.IsFitted, Is.False);
        Assert.That(() => kway.Transform(new double[4, 2]), Throws.InvalidOperationException.With.Message.Contains("Fit"));
        Assert.That(() => kway.Rotation, Throws.InvalidOperationException);
    }

    [Test]
    public void TransformOfNarrowerOrNonFiniteInput_Throws()
    {
        var (u, _) = Planted(40, 3, 0.1, 1);
        var kway = Kway(KwayMethod.AxisAlign, 3);
        kway.Fit(u);
        Assert.That(() => kway.Transform(new double[5, 2]), Names("eigenvectors", "2 columns"));
        u[0, 0] = double.NaN;
        Assert.That(() => kway.Predict(u), Names("eigenvectors", "row 0, column 0"));
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        Assert.That(() => kway.Transform(tape, tape.Input(new double[5, 2])), Names("eigenvectors", "2 columns"));
    }

    [Test]
    public void BadScores_Throw()
    {
        Assert.That(() => KwayNcut.Labels(new double[0, 2]), Names("scores", "non-empty"));
        Assert.That(() => KwayNcut.Labels(new[,] { { 1.0, double.NaN } }), Names("scores", "row 0, column 1"));
    }
}
