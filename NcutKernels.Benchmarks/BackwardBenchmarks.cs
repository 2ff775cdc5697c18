// BackwardBenchmarks: the differentiable embedding (tape forward) and its backward pass — affinity, normalization and top-k eigen rules.
using BenchmarkDotNet.Attributes;
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public class BackwardBenchmarks
{
    private ComputeDevice _device = null!;
    private float[,] _x = null!, _weights = null!;
    private Tape<float>? _tape;
    private Variable<float>? _loss;

    public static IEnumerable<DeviceKind> Kinds => BenchData.Devices();

    [ParamsSource(nameof(Kinds))]
    public DeviceKind Device { get; set; }

    [Params(1024, 2048)]
    public int N { get; set; }

    public const int D = 64, K = 20;

    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Create(Device);
        var flat = BenchData.Mixture(N, D);
        _x = new float[N, D];
        Buffer.BlockCopy(flat, 0, _x, 0, flat.Length * sizeof(float));
        var rng = new Random(1);
        _weights = new float[N, K];
        for (int i = 0; i < N; i++)
            for (int j = 0; j < K; j++)
                _weights[i, j] = rng.NextSingle() + 0.5f;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tape?.Dispose();
        _device.Dispose();
    }

    private Variable<float> Forward(Tape<float> tape)
    {
        var x = tape.Input(_x);
        // σ = √d: 20 separated but connected clusters (see gpu-check).
        var (u, _) = new Ncut(_device, new NcutOptions { EigenvectorCount = K, Sigma = Math.Sqrt(D) }).FitTransform(x);
        return tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(_weights)));
    }

    /// <summary>Tape forward: affinity, normalization, top-k eigenpairs and the loss, recorded.</summary>
    [Benchmark]
    public void ForwardRecorded()
    {
        using var tape = new Tape<float>(_device);
        Forward(tape);
    }

    [IterationSetup(Target = nameof(BackwardOnly))]
    public void RecordForward()
    {
        _tape?.Dispose();
        _tape = new Tape<float>(_device);
        _loss = Forward(_tape);
    }

    /// <summary>The backward pass alone (all rules, float64 on the host).</summary>
    [Benchmark]
    public void BackwardOnly() => _tape!.Backward(_loss!);
}
