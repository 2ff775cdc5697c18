// TraceBenchmarks: channel tracing's backward — every cluster's loss reversed in one batched call (Tape.Gradients) — at 2 and 8 clusters on demo-sized features (3136 × 256, cosine affinity, k = 10).
using BenchmarkDotNet.Attributes;
using NcutKernels.Autodiff;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

/// <summary>
/// The backward of <see cref="ChannelTracer"/> alone: each iteration records the forward (exact embedding, k-way scores, one
/// loss per cluster) in its setup and times <see cref="Tape{T}.Gradients"/> over the clusters' rows. The global setup checks
/// once that the batched gradients equal one <see cref="Tape{T}.Backward"/> per cluster at the rows the trace reads.
/// </summary>
public class TraceBenchmarks
{
    public const int N = 3136, D = 256, K = 10;

    [ParamsSource(nameof(Devices))]
    public DeviceKind Device { get; set; }

    public static IEnumerable<DeviceKind> Devices() => BenchData.Devices();

    [Params(2, 8)]
    public int Clusters { get; set; }

    private ComputeDevice _device = null!;
    private float[,] _x = null!;
    private Tape<float>? _tape;
    private Variable<float>? _input;
    private Variable<float>[] _losses = [];
    private int[][] _rows = [];

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Create(Device);
        var flat = BenchData.Mixture(N, D);
        _x = new float[N, D];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
                _x[i, j] = Math.Abs(flat[i * D + j]); // non-negative, as post-ReLU features are
        Record();
        var batched = _tape!.Gradients(_losses, _input!, _rows);
        for (int c = 0; c < _losses.Length; c++)
        {
            _input!.ZeroGrad();
            _tape.Backward(_losses[c]);
            var single = _input.Gradient;
            double scale = 0, worst = 0;
            foreach (int i in _rows[c])
                for (int j = 0; j < D; j++)
                {
                    scale = Math.Max(scale, Math.Abs(single[i, j]));
                    worst = Math.Max(worst, Math.Abs(batched[c][i, j] - single[i, j]));
                }
            // Same float32 products at a wider block: the two CGs agree to their float32 rounding.
            if (!(worst <= 1e-3 * scale))
                throw new InvalidOperationException($"cluster {c}: batched gradient differs from its own backward by {worst:E2} (max |X̄| {scale:E2}).");
        }
    }

    /// <summary>The forward of a trace with <see cref="Clusters"/> clusters on a fresh tape: the losses and their rows.</summary>
    private void Record()
    {
        _tape?.Dispose();
        _tape = new Tape<float>(_device);
        _input = _tape.Input(_x);
        var ncut = new Ncut(_device, new NcutOptions { EigenvectorCount = K, Affinity = AffinityKind.Cosine, Sigma = 0.5 });
        var (u, _) = ncut.FitTransform(_input);
        KwayNcut kway;
        using (_tape.NoGrad())
        {
            kway = new KwayNcut(new KwayOptions { ClusterCount = Clusters, Method = KwayMethod.AxisAlign });
            kway.Fit(Ncut.ToDouble(u.ToArray()));
        }
        var scores = kway.Transform(_tape, u);
        var labels = KwayNcut.Labels(Ncut.ToDouble(scores.ToArray()));
        var losses = new List<Variable<float>>();
        var rows = new List<int[]>();
        for (int c = 0; c < Clusters; c++)
        {
            var points = Enumerable.Range(0, N).Where(i => labels[i] == c).ToArray();
            if (points.Length == 0)
                continue;
            var pick = new float[Clusters, 1];
            pick[c, 0] = 1;
            losses.Add(_tape.Scale(_tape.Mean(_tape.Abs(_tape.MatMul(_tape.GatherRows(scores, points), _tape.Constant(pick)))), -1));
            rows.Add(points);
        }
        (_losses, _rows) = (losses.ToArray(), rows.ToArray());
    }

    [IterationSetup]
    public void Forward() => Record();

    [Benchmark]
    public IReadOnlyList<float[,]> Backward() => _tape!.Gradients(_losses, _input!, _rows);

    [GlobalCleanup]
    public void Cleanup()
    {
        _tape?.Dispose();
        _device.Dispose();
    }
}
