// ChannelTracerTests: planted channels rank first, per-cluster gradients against finite differences, both backends, bad input.
using NUnit.Framework;
using NcutKernels.Autodiff;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NcutKernels.Tests.Autodiff;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class ChannelTracerTests
{
    /// <summary>Cluster c's points are lifted by 3 in channel Planted[c]; every channel carries N(0, 0.3²) noise.</summary>
    private static readonly int[] Planted = [2, 7, 4];

    private static double[,] PlantedFeatures(int perCluster, int channels, int seed)
    {
        var rng = new Random(seed);
        var x = new double[Planted.Length * perCluster, channels];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < channels; j++)
                x[i, j] = 0.3 * TestData.Gaussian(rng) + (j == Planted[i % Planted.Length] ? 3.0 : 0.0);
        return x;
    }

    private static ChannelTracerOptions Options(int clusters, int k) => new()
    {
        Clusters = clusters,
        Ncut = new NcutOptions { EigenvectorCount = k, Sigma = 2.0, Tolerance = 1e-12 },
    };

    [TestCase(KwayMethod.AxisAlign)]
    [TestCase(KwayMethod.SphericalKMeans)]
    public void PlantedChannels_RankFirst(KwayMethod method)
    {
        var x = PlantedFeatures(perCluster: 30, channels: 12, seed: 3);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var trace = new ChannelTracer(device, Options(3, 3) with { Kway = method }).Trace(x);

        Assert.That(trace.Clusters, Has.Count.EqualTo(3));
        foreach (var c in trace.Clusters)
        {
            // The cluster is the set of points lifted in one planted channel …
            var planted = c.Points.Select(p => Planted[p % Planted.Length]).Distinct().ToArray();
            Assert.That(planted, Has.Length.EqualTo(1), $"cluster {c.Cluster} mixes planted groups");
            // … and raising that channel on its points is what strengthens it most.
            Assert.That(c.BySigned[0], Is.EqualTo(planted[0]), $"cluster {c.Cluster}: importance {string.Join(", ", c.BySigned.Take(4))}");
            Assert.That(Planted, Does.Contain(c.ByMagnitude[0]), $"cluster {c.Cluster}: magnitude {string.Join(", ", c.ByMagnitude.Take(4))}");
            Assert.That(c.MeanGradient.All(double.IsFinite) && c.MeanAbsGradient.All(double.IsFinite), Is.True);
            Assert.That(c.Gradient, Is.Not.Null);
            Assert.That(c.Gradient!.Reliable, Is.True, c.Gradient.ToString());
        }
        Assert.That(trace.Labels, Has.Length.EqualTo(x.GetLength(0)));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => trace.Clusters[0].Importance(12))!.ParamName, Is.EqualTo("channel"));
        Assert.That(trace.Eigenvectors.GetLength(1), Is.EqualTo(3));
    }

    [Test]
    public void MeanGradient_MatchesFiniteDifferencesOfTheClusterObjective()
    {
        var x = PlantedFeatures(perCluster: 8, channels: 5, seed: 11);
        var options = Options(3, 3);
        ChannelTrace trace;
        using (var device = ComputeDevice.Create(DeviceKind.Cpu))
            trace = new ChannelTracer(device, options).Trace(x);
        var rotation = trace.Rotation;

        foreach (var c in trace.Clusters)
        {
            // L_c with R and the cluster's points held fixed, as the tracer differentiates it.
            Variable<double> Loss(Tape<double> t, Variable<double> v)
            {
                var (u, _) = new Ncut(t.Device, options.Ncut).FitTransform(v);
                var pick = new double[3, 1];
                pick[c.Cluster, 0] = 1;
                var score = t.MatMul(t.GatherRows(t.MatMul(u, t.Constant(rotation)), c.Points), t.Constant(pick));
                return t.Scale(t.Mean(t.Abs(score)), -1);
            }
            Assert.That(GradientCheck.Evaluate(x, Loss, withGrad: false).loss, Is.EqualTo(c.Objective).Within(1e-12));
            for (int j = 0; j < x.GetLength(1); j++)
            {
                // d/dε L(X + ε·E_j), E_j = 1 on the cluster's rows in channel j, equals |C|·MeanGradient[j].
                const double h = 1e-5;
                var plus = (double[,])x.Clone();
                var minus = (double[,])x.Clone();
                foreach (int p in c.Points)
                {
                    plus[p, j] += h;
                    minus[p, j] -= h;
                }
                double fd = (GradientCheck.Evaluate(plus, Loss, false).loss - GradientCheck.Evaluate(minus, Loss, false).loss) / (2 * h);
                double analytic = c.Points.Length * c.MeanGradient[j];
                // Central differences with h = 1e-5 on a loss ~1: truncation ~h², rounding ~1e-16/h ≈ 1e-11.
                Assert.That(analytic, Is.EqualTo(fd).Within(1e-8 + 1e-5 * Math.Abs(fd)), $"cluster {c.Cluster}, channel {j}");
            }
        }
    }

    [Test]
    public void IlgpuKernels_AgreeWithTheManagedFloat64Trace()
    {
        var x = PlantedFeatures(perCluster: 12, channels: 6, seed: 5);
        var options = Options(3, 3) with { Ncut = new NcutOptions { EigenvectorCount = 3, Sigma = 2.0 } };
        ChannelTrace reference, kernels;
        using (var cpu = ComputeDevice.Create(DeviceKind.Cpu))
            reference = new ChannelTracer(cpu, options).Trace(x);
        using (var ilgpu = ComputeDevice.Create(DeviceKind.IlgpuCpu))
            kernels = new ChannelTracer(ilgpu, options).Trace(TestData.ToFloat(x));

        Assert.That(kernels.Labels, Is.EqualTo(reference.Labels));
        Assert.That(kernels.Clusters.Select(c => c.Cluster), Is.EqualTo(reference.Clusters.Select(c => c.Cluster)));
        for (int i = 0; i < reference.Clusters.Count; i++)
        {
            var (a, r) = (kernels.Clusters[i], reference.Clusters[i]);
            double scale = r.MeanAbsGradient.Max();
            // float32 forward (eigenvectors to ~1e-5) and float32 features: 1e-3 of the largest channel gradient.
            for (int j = 0; j < r.MeanGradient.Length; j++)
                Assert.That(a.MeanGradient[j], Is.EqualTo(r.MeanGradient[j]).Within(1e-3 * scale), $"cluster {r.Cluster}, channel {j}");
            Assert.That(a.BySigned[0], Is.EqualTo(r.BySigned[0]));
        }
    }

    [TestCase(AffinityKind.Rbf)]
    [TestCase(AffinityKind.Cosine)]
    public void AboveTheThreshold_TracesThroughNystrom(AffinityKind affinity)
    {
        // 240 points, threshold lowered to 100: 60 landmarks (n/4), gradients through the propagation op.
        var x = PlantedFeatures(perCluster: 80, channels: 9, seed: 8);
        var options = Options(3, 3) with
        {
            Ncut = new NcutOptions { EigenvectorCount = 3, Affinity = affinity, Sigma = affinity == AffinityKind.Rbf ? 2.0 : null },
            Nystrom = new NystromOptions { ExactThreshold = 100 },
        };
        var log = new StringWriter();
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var trace = new ChannelTracer(device, options with { Log = log }).Trace(x);

        Assert.That(log.ToString(), Does.Contain("(Nystrom)"));
        Assert.That(trace.Clusters, Has.Count.EqualTo(3));
        foreach (var c in trace.Clusters)
        {
            var planted = c.Points.Select(p => Planted[p % Planted.Length]).Distinct().ToArray();
            Assert.That(planted, Has.Length.EqualTo(1), $"cluster {c.Cluster} mixes planted groups");
            Assert.That(c.MeanGradient.All(double.IsFinite) && c.MeanGradient.Any(g => g != 0), Is.True);
            // Under RBF, raising the planted channel strengthens its cluster most. Cosine affinity only sees directions: a
            // point already dominated by its planted channel gains more from lowering the others, so no ranking is implied.
            if (affinity == AffinityKind.Rbf)
                Assert.That(c.BySigned[0], Is.EqualTo(planted[0]), $"cluster {c.Cluster}: importance {string.Join(", ", c.BySigned.Take(4))}");
        }
    }

    [TestCase(1, 3, "Clusters")]
    [TestCase(4, 3, "Clusters")]
    public void BadClusterCount_Throws(int clusters, int k, string name)
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ChannelTracer(device, Options(clusters, k)));
        Assert.That(e!.ParamName, Is.EqualTo(name));
        Assert.That(e.Message, Does.Contain(clusters.ToString()));
    }

    [Test]
    public void BadFeatures_Throw()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var tracer = new ChannelTracer(device, Options(2, 3));
        Assert.Throws<ArgumentNullException>(() => tracer.Trace<double>(null!));
        Assert.That(Assert.Throws<ArgumentException>(() => tracer.Trace(new double[0, 4]))!.ParamName, Is.EqualTo("features"));
        Assert.That(Assert.Throws<ArgumentException>(() => tracer.Trace(new double[3, 4]))!.Message, Does.Contain("3 rows"));
        var x = PlantedFeatures(5, 4, 1);
        x[2, 1] = double.NaN;
        var nan = Assert.Throws<ArgumentException>(() => tracer.Trace(x))!;
        Assert.That(nan.ParamName, Is.EqualTo("features"));
        Assert.That(nan.Message, Does.Contain("NaN").And.Contain("row 2, column 1"));
    }
}
