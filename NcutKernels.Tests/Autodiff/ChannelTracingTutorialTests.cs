// ChannelTracingTutorialTests: the pipeline of ncut_pytorch's channel-tracing tutorial (k-way scores, −mean|score| of one cluster, per-channel gradient) end to end, checked by finite differences.
using MathNet.Numerics.LinearAlgebra;
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Autodiff;

[TestFixture]
public class ChannelTracingTutorialTests
{
    private const int H = 6, W = 6, Channels = 5, K = 3;

    /// <summary>h×w×c features flattened to (h·w)×c: the left half of the image is lifted in channels 1 and 3.</summary>
    private static double[,] Features()
    {
        var rng = new Random(12);
        var x = new double[H * W, Channels];
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++)
                for (int c = 0; c < Channels; c++)
                    x[i * W + j, c] = 0.3 * TestData.Gaussian(rng) + (j < W / 2 && c is 1 or 3 ? 2.0 : 0.0);
        return x;
    }

    private static double[,] Rotation()
    {
        return TestData.RandomMatrix(K, K, 4, TestData.Gaussian).QR().Q.ToArray();
    }

    /// <summary>−mean over cluster c's pixels of |score_c|, with scores = U·R and the pixels fixed (hard labels are constant).</summary>
    private static Variable<double> ClusterLoss(Tape<double> t, Variable<double> x, int[] pixels, int cluster)
    {
        var (u, _) = new Ncut(t.Device, new NcutOptions { EigenvectorCount = K, Sigma = 1.5, Tolerance = 1e-13 }).FitTransform(x);
        var scores = t.MatMul(u, t.Constant(Rotation()));
        var pick = new double[K, 1];
        pick[cluster, 0] = 1;
        var score = t.MatMul(t.GatherRows(scores, pixels), t.Constant(pick));
        return t.Scale(t.Mean(t.Abs(score)), -1);
    }

    [Test]
    public void ClusterObjective_GradientMatchesFiniteDifferences()
    {
        var x = Features();
        // Hard labels at the base point (argmax of the k-way scores), held constant like the tutorial.
        int[] labels;
        using (var device = ComputeDevice.Create(DeviceKind.Cpu))
        using (var tape = new Tape<double>(device))
        {
            var v = tape.Input(x, requiresGrad: false);
            var (u, _) = new Ncut(device, new NcutOptions { EigenvectorCount = K, Sigma = 1.5, Tolerance = 1e-13 }).FitTransform(v);
            var s = tape.MatMul(u, tape.Constant(Rotation())).ToArray();
            labels = Enumerable.Range(0, H * W).Select(i => Enumerable.Range(0, K).MaxBy(c => Math.Abs(s[i, c]))).ToArray();
        }
        int cluster = labels[0];
        var pixels = Enumerable.Range(0, H * W).Where(i => labels[i] == cluster).ToArray();
        Assert.That(pixels, Has.Length.GreaterThan(1));

        GradientCheck.Assert(x, (t, v) => ClusterLoss(t, v, pixels, cluster));

        // The tutorial's last step: per-channel mean gradient over the cluster's pixels, ranked by magnitude
        // (which channels win is the channel tracer's business, tested with it; here it must be finite and non-zero).
        var (_, grad) = GradientCheck.Evaluate(x, (t, v) => ClusterLoss(t, v, pixels, cluster), withGrad: true);
        var perChannel = Enumerable.Range(0, Channels).Select(c => pixels.Average(p => grad[p, c])).ToArray();
        Assert.That(perChannel.All(double.IsFinite), Is.True);
        Assert.That(perChannel.Max(Math.Abs), Is.GreaterThan(0));
    }
}
