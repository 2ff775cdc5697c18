// ChannelTracer: which feature channels make each k-way NCUT segment — one forward, one backward per cluster on one tape.
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>Settings of <see cref="ChannelTracer"/>.</summary>
public sealed record ChannelTracerOptions
{
    /// <summary>Number of k-way clusters (2 ≤ Clusters ≤ Ncut.EigenvectorCount).</summary>
    public int Clusters { get; init; } = 4;

    /// <summary>The embedding (affinity, σ rule, eigenvector count, tolerances, seed, log).</summary>
    public NcutOptions Ncut { get; init; } = new() { EigenvectorCount = 10 };

    /// <summary>
    /// Exact path or Nyström: above <see cref="NystromOptions.ExactThreshold"/> points (8192 by default) the embedding and
    /// its gradients go through landmarks (<see cref="NystromNcut"/>), so memory stays O(n·k + m²) instead of n² (by default
    /// the classic extension for RBF, renormalized nearest-anchor weights for other affinities).
    /// </summary>
    public NystromOptions Nystrom { get; init; } = new();

    /// <summary>How the k-way rotation is fitted (under no-grad).</summary>
    public KwayMethod Kway { get; init; } = KwayMethod.AxisAlign;

    /// <summary>Progress lines (one per step and per cluster), or null.</summary>
    public TextWriter? Log { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Ncut, nameof(Ncut));
        ArgumentNullException.ThrowIfNull(Nystrom, nameof(Nystrom));
        Ncut.Validate();
        Nystrom.Validate();
        if (Clusters < 2 || Clusters > Ncut.EigenvectorCount)
            throw new ArgumentOutOfRangeException(nameof(Clusters), Clusters,
                $"Clusters must be in 2..Ncut.EigenvectorCount ({Ncut.EigenvectorCount}).");
        if (!Enum.IsDefined(Kway))
            throw new ArgumentOutOfRangeException(nameof(Kway), Kway, "Unknown k-way method.");
    }
}

/// <summary>
/// Channel tracing (ncut_pytorch's channel-tracing tutorial): embed the features with a differentiable NCUT, fit a k-way
/// rotation R without gradient, score every point by U·R, hard-assign points by argmax, and for each cluster c
/// back-propagate L_c = −mean over its points of |score_c| to the features. The per-channel mean of the gradient
/// over the cluster's points ranks the channels that make the segment (<see cref="ClusterTrace"/>). The forward
/// pass runs once; each cluster costs one backward pass (the truncated eigen backward: block CG, no full spectrum)
/// on the same tape. Up to <see cref="NystromOptions.ExactThreshold"/> points the embedding is exact; above, it goes
/// through Nyström landmarks and their propagation, gradients included (<see cref="NystromNcut"/>).
/// </summary>
public sealed class ChannelTracer
{
    private readonly ComputeDevice _device;

    /// <summary>A tracer on <paramref name="device"/> with <paramref name="options"/> (defaults when null).</summary>
    public ChannelTracer(ComputeDevice device, ChannelTracerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        _device = device;
        Options = options ?? new ChannelTracerOptions();
        Options.Validate();
    }

    /// <summary>The settings.</summary>
    public ChannelTracerOptions Options { get; }

    /// <summary>Traces the channels of <paramref name="features"/> (n points × c channels; float or double).</summary>
    public ChannelTrace Trace<T>(T[,] features) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(features);
        int n = features.GetLength(0), channels = features.GetLength(1);
        if (features.Length == 0)
            throw new ArgumentException($"features must be non-empty, got {n}×{channels}.", nameof(features));
        if (n <= Options.Ncut.EigenvectorCount)
            throw new ArgumentException($"features has {n} rows; need more than Ncut.EigenvectorCount = {Options.Ncut.EigenvectorCount}.", nameof(features));
        FeatureChecks.ThrowIfNotFinite(MemoryMarshal.CreateReadOnlySpan(ref features[0, 0], features.Length), channels, nameof(features));
        var log = Options.Log;
        int k = Options.Clusters;
        var sw = Stopwatch.StartNew();

        using var tape = new Tape<T>(_device);
        var x = tape.Input(features);
        using var ncut = new NystromNcut(_device, Options.Ncut, Options.Nystrom);
        var (u, _) = ncut.FitTransform(x);
        var uHost = Ncut.ToDouble(u.ToArray());
        KwayNcut kway;
        using (tape.NoGrad())
        {
            kway = new KwayNcut(new KwayOptions { ClusterCount = k, Method = Options.Kway, Seed = Options.Ncut.Seed });
            kway.Fit(uHost);
        }
        var scores = kway.Transform(tape, u);
        var scoreHost = Ncut.ToDouble(scores.ToArray());
        var labels = KwayNcut.Labels(scoreHost);
        double forwardMs = sw.Elapsed.TotalMilliseconds;
        log?.WriteLine($"trace: embedding ({ncut.Path}) n={n} c={channels} k={Options.Ncut.EigenvectorCount} σ={ncut.Sigma:G4}, {k}-way {Options.Kway}: {forwardMs:F0} ms");

        // One loss per non-empty cluster, all reversed together (one block CG for every cluster; each cluster's feature
        // gradient over its own points only: the summaries read no other row).
        sw.Restart();
        var members = new List<(int Cluster, int[] Points, Variable<T> Loss)>();
        for (int c = 0; c < k; c++)
        {
            var points = Enumerable.Range(0, n).Where(i => labels[i] == c).ToArray();
            if (points.Length == 0)
            {
                log?.WriteLine($"trace: cluster {c} is empty, skipped");
                continue;
            }
            var pick = new T[k, 1];
            pick[c, 0] = T.One;
            var score = tape.MatMul(tape.GatherRows(scores, points), tape.Constant(pick));
            members.Add((c, points, tape.Scale(tape.Mean(tape.Abs(score)), -1)));
        }
        var gradients = tape.Gradients(members.Select(m => m.Loss).ToArray(), x, members.Select(m => m.Points).ToArray());
        var reports = ncut.BatchGradientReports;
        var clusters = new List<ClusterTrace>();
        for (int m = 0; m < members.Count; m++)
        {
            var (c, points, loss) = members[m];
            var report = reports is not null && reports.TryGetValue(m, out var r) ? r : null;
            clusters.Add(Summarize(c, points, double.CreateChecked(loss.ToArray()[0, 0]), gradients[m], report));
            log?.WriteLine($"trace: cluster {c} ({points.Length} points)" + (report is null ? "" : $": {report}"));
        }
        double backwardMs = sw.Elapsed.TotalMilliseconds;
        log?.WriteLine($"trace: backward of {members.Count} clusters together in {backwardMs:F0} ms");
        return new ChannelTrace(uHost, labels, scoreHost, kway.Rotation, ncut.Eigenvalues, ncut.Sigma, clusters, forwardMs, backwardMs);
    }

    /// <summary>Per-channel mean and mean-absolute gradient over the cluster's points, and both rankings.</summary>
    private static ClusterTrace Summarize<T>(int cluster, int[] points, double objective, T[,] grad, Solvers.EigenGradientReport? report)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int channels = grad.GetLength(1);
        var mean = new double[channels];
        var meanAbs = new double[channels];
        foreach (int i in points)
            for (int j = 0; j < channels; j++)
            {
                double g = double.CreateChecked(grad[i, j]);
                mean[j] += g;
                meanAbs[j] += Math.Abs(g);
            }
        for (int j = 0; j < channels; j++)
        {
            mean[j] /= points.Length;
            meanAbs[j] /= points.Length;
        }
        var bySigned = Enumerable.Range(0, channels).OrderBy(j => mean[j]).ThenBy(j => j).ToArray();
        var byMagnitude = Enumerable.Range(0, channels).OrderByDescending(j => meanAbs[j]).ThenBy(j => j).ToArray();
        return new ClusterTrace(cluster, points, objective, mean, meanAbs, bySigned, byMagnitude, report);
    }
}
