// ClusterCommandTests: `ncut cluster` writes the labels (int64) and scores SpectralClustering computes, in the input's precision where embed keeps it, and refuses bad usage with exit code 2 naming the option.
using NcutKernels.Cli;
using NcutKernels.IO;
using NcutKernels.Spectral;
using NcutKernels.Tests.IO;
using NUnit.Framework;
using static NcutKernels.Tests.Cli.CliHarness;

namespace NcutKernels.Tests.Cli;

[TestFixture]
public class ClusterCommandTests : CpuFixture
{
    private const int N = 300, C = 3;
    private string _dir = null!;
    private double[,] _x = null!;

    [OneTimeSetUp]
    public void OneTimeSetUp()
    {
        _dir = TempFolder.Create("ncut-cluster-cli-tests-");
        // Point i in blob i mod 3, the blobs far apart (centres ~ 20 apart, spread 1); features are whole numbers so that
        // the int64 copy holds the same values.
        _x = TestData.Blobs(N, 5, C, separation: 20, seed: 41);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < 5; j++)
                _x[i, j] = Math.Round(4 * _x[i, j]);
        Npy.Write(P("x64.npy"), _x);
        Npy.Write(P("x32.npy"), TestData.ToFloat(_x));
        File.WriteAllBytes(P("xi64.npy"), NpyBytes.Build($"{{'descr': '<i8', 'fortran_order': False, 'shape': ({N}, 5), }}",
            NpyBytes.Bytes(_x.Cast<double>().Select(v => (long)v).ToArray())));
    }

    [OneTimeTearDown]
    public void OneTimeTearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>Runs `ncut cluster` on the CPU backend into fresh labels (and scores) files; asserts success and returns their paths and stdout.</summary>
    private (string Labels, string Scores, string Stdout) Cluster(string input, params string[] options)
    {
        string id = Guid.NewGuid().ToString("N"), labels = P($"labels-{id}.npy"), scores = P($"scores-{id}.npy");
        var (code, stdout, stderr) = Run(["cluster", "--input", P(input), "--clusters", $"{C}", "--labels", labels, "--scores", scores, "--device", "cpu", .. options]);
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        return (labels, scores, stdout);
    }

    private static int[] Labels(string path)
    {
        var a = Npy.Read(path);
        Assert.That(a.IsInteger, Is.True, "labels are an integer .npy");
        Assert.That(a.Shape, Is.EqualTo(new[] { N }));
        return a.Int64s!.Select(v => checked((int)v)).ToArray();
    }

    [Test]
    public void Float64Input_WritesTheLibrarysLabelsAndScores_InFloat64_AndSaysTheSizes()
    {
        var (labelsPath, scoresPath, stdout) = Cluster("x64.npy");
        // The command's defaults: --n-eig = --clusters, axis alignment, seed 0, exact path for 300 points.
        using var expected = new SpectralClustering(Cpu, C);
        var scores = expected.FitTransform(_x);
        var labels = Labels(labelsPath);
        Assert.That(labels, Is.EqualTo(expected.Labels));
        Spectral.SpectralClusteringTests.AssertSamePartition(labels, Enumerable.Range(0, N).Select(i => i % C).ToArray(), C);
        var written = Npy.Read(scoresPath);
        Assert.That(written.IsDouble, Is.True, "float64 input on --device cpu keeps float64 scores");
        Assert.That(written.Shape, Is.EqualTo(new[] { N, C }));
        Assert.That(written.ToMatrix<double>(), Is.EqualTo(scores));
        var sizes = Enumerable.Range(0, C).Select(c => labels.Count(l => l == c));
        Assert.That(stdout, Does.Contain($"ncut: {C} clusters (axisalign on {C} eigenvectors), sizes {string.Join(" ", sizes)}"));
        Assert.That(stdout, Does.Contain("ncut: path exact (300 points, all in the graph)"));
    }

    [Test]
    public void Float32AndInt64Input_GiveTheFloat32Result()
    {
        using var expected = new SpectralClustering(Cpu, C);
        var scores = expected.FitTransform(TestData.ToFloat(_x));
        foreach (var input in new[] { "x32.npy", "xi64.npy" })
        {
            var (labelsPath, scoresPath, _) = Cluster(input);
            Assert.That(Labels(labelsPath), Is.EqualTo(expected.Labels), input);
            var written = Npy.Read(scoresPath);
            Assert.That(written.Singles, Is.Not.Null, $"{input}: float32 scores");
            Assert.That(written.ToMatrix<float>(), Is.EqualTo(scores), input);
        }
    }

    [Test]
    public void SphericalKMeans_OnTheNystromPath_WithMoreEigenvectors_MatchesTheLibrary()
    {
        var (labelsPath, scoresPath, stdout) = Cluster("x64.npy", "--kway", "sphericalkmeans", "--n-eig", "5", "--path", "nystrom", "--seed", "7");
        using var expected = new SpectralClustering(Cpu, C, new SpectralClusteringOptions
        {
            Ncut = new NcutOptions { EigenvectorCount = 5, Seed = 7 },
            Nystrom = new NystromOptions { Path = EmbeddingPath.Nystrom },
            Kway = new KwayOptions { ClusterCount = C, Method = KwayMethod.SphericalKMeans, Seed = 7 },
        });
        var scores = expected.FitTransform(_x);
        Assert.That(Labels(labelsPath), Is.EqualTo(expected.Labels));
        Assert.That(Npy.Read(scoresPath).ToMatrix<double>(), Is.EqualTo(scores));
        Assert.That(stdout, Does.Contain("ncut: path nystrom (300 points, 75 landmarks").And.Contain("(sphericalkmeans on 5 eigenvectors)"));
    }

    [Test]
    public void WithoutScores_WritesOnlyTheLabels()
    {
        string labels = P("only-labels.npy");
        var (code, stdout, stderr) = Run("cluster", "--input", P("x32.npy"), "--clusters", "2", "--labels", labels, "--device", "cpu");
        Assert.That(code, Is.EqualTo(ExitCode.Success), stderr);
        var values = Npy.Read(labels).Int64s!;
        Assert.That(values, Has.Length.EqualTo(N).And.All.InRange(0, 1));
        Assert.That(stdout, Does.EndWith($"ncut: wrote {labels}{Environment.NewLine}"), "the labels, no scores");
    }

    [TestCase("--clusters 4 --n-eig 3", "--clusters 4", "--n-eig 3")]
    [TestCase("--clusters 1", "--clusters", "below 2")]
    [TestCase("--clusters 0 --n-eig 2", "--clusters", "below 2")]
    [TestCase("--clusters three", "--clusters", "'three'")]
    [TestCase("--clusters 3 --kway bogus", "--kway", "axisalign|sphericalkmeans")]
    [TestCase("--clusters 3 --path bogus", "--path")]
    [TestCase("--clusters 3 --output {labels}", "--output")]
    public void Misuse_ReturnsTwo_NamingTheOption_ThenTheUsage(string options, params string[] mentions)
    {
        string labels = P("refused.npy");
        AssertMisuse(ClusterArgs(options, labels), mentions);
        Assert.That(File.Exists(labels), Is.False, "no labels written");
    }

    [Test]
    public void MoreEigenvectorsThanPoints_IsRefusedInOneLine_NamingBoth()
    {
        string labels = P("refused.npy");
        AssertRefused(ClusterArgs("--clusters 3 --n-eig 300", labels), P("no-folder"), "300 points", "--n-eig 300");
        Assert.That(File.Exists(labels), Is.False, "no labels written");
    }

    /// <summary>`cluster` of x64.npy on the CPU into <paramref name="labels"/>, with <paramref name="options"/> ({labels}: that path).</summary>
    private string[] ClusterArgs(string options, string labels) =>
        new[] { "cluster", "--input", P("x64.npy"), "--labels", labels, "--device", "cpu" }
            .Concat(options.Split(' ').Select(o => o.Replace("{labels}", labels))).ToArray();

    [Test]
    public void MissingOrClashingOutputs_AreRefused_NamingThem()
    {
        string labels = P("clash.npy");
        AssertMisuse(["cluster", "--input", P("x64.npy"), "--clusters", "3"], "--labels");
        AssertMisuse(["cluster", "--input", P("x64.npy"), "--labels", labels], "--clusters");
        AssertRefused(["cluster", "--input", P("x64.npy"), "--clusters", "3", "--labels", P("x64.npy")], P("no-folder"), "--labels", "--input");
        AssertRefused(["cluster", "--input", P("x64.npy"), "--clusters", "3", "--labels", labels, "--scores", labels], P("no-folder"), "--labels", "--scores");
        AssertRefused(["cluster", "--input", P("missing.npy"), "--clusters", "3", "--labels", labels], P("no-folder"), "missing.npy");
        Assert.That(File.Exists(labels), Is.False);
        Assert.That(Npy.Read(P("x64.npy")).ToMatrix<double>(), Is.EqualTo(_x), "the input is untouched");
    }

    [Test]
    public void Usage_ListsTheCommand()
    {
        Assert.That(Run("--help").stdout, Does.Contain("ncut cluster --input X.npy --clusters C --labels L.npy"));
        AssertMisuse(["clusters"], "unknown command 'clusters'", "cluster, info");
    }
}
