// BackwardBenchmarks: the differentiable embedding (tape forward), its backward pass, and both — on the managed CPU and, at the target sizes (n = 4096 and 8192, d = 384), on CUDA.
using BenchmarkDotNet.Attributes;
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public class BackwardBenchmarks
{
    /// <summary>
    /// One case: the device, n×d, and the data — a 20-cluster mixture with σ = √d and loss Σ w∘U², or (Randn)
    /// ncut_pytorch's exact-gradient measurement: standard normal features, the default σ and loss Σ U.
    /// </summary>
    public sealed record Case(DeviceKind Device, int N, int D, bool Randn)
    {
        /// <inheritdoc />
        public override string ToString() => $"{Device} {N}x{D} {(Randn ? "randn" : "mixture")}";
    }

    /// <summary>Mixtures at 1024 and 2048 (d = 64) on every device; on CUDA also the target sizes, randn at 4096 and 8192 (d = 384).</summary>
    public static IEnumerable<Case> Cases() => BenchData.Devices().SelectMany(kind => kind == DeviceKind.Cuda
        ? new[] { new Case(kind, 1024, 64, false), new Case(kind, 2048, 64, false), new Case(kind, 4096, 384, true), new Case(kind, 8192, 384, true) }
        : new[] { new Case(kind, 1024, 64, false), new Case(kind, 2048, 64, false) });

    [ParamsSource(nameof(Cases))]
    public Case Shape { get; set; } = null!;

    public const int K = 20;

    private ComputeDevice _device = null!;
    private float[,] _x = null!, _weights = null!;
    private Tape<float>? _tape;
    private Variable<float>? _loss;

    [GlobalSetup]
    public void Setup()
    {
        var (kind, n, d, randn) = Shape;
        _device = ComputeDevice.Create(kind);
        var flat = randn ? BenchData.Normal(n, d) : BenchData.Mixture(n, d);
        _x = new float[n, d];
        Buffer.BlockCopy(flat, 0, _x, 0, flat.Length * sizeof(float));
        var rng = new Random(1);
        _weights = new float[n, K];
        for (int i = 0; i < n; i++)
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
        // Mixture: σ = √d keeps the 20 clusters separated but connected (see gpu-check); randn: the default σ rule.
        var options = new NcutOptions { EigenvectorCount = K, Sigma = Shape.Randn ? null : Math.Sqrt(Shape.D) };
        var (u, _) = new Ncut(_device, options).FitTransform(x);
        return Shape.Randn ? tape.Sum(u) : tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(_weights)));
    }

    /// <summary>Tape forward: affinity, normalization, top-k eigenpairs and the loss, recorded.</summary>
    [Benchmark]
    public void ForwardRecorded()
    {
        using var tape = new Tape<float>(_device);
        Forward(tape);
    }

    /// <summary>Forward and backward at the target size (n = 8192, d = 384, k = 20: under 100 ms on the GPU).</summary>
    [Benchmark]
    public void ForwardAndBackward()
    {
        using var tape = new Tape<float>(_device);
        tape.Backward(Forward(tape));
    }

    [IterationSetup(Target = nameof(BackwardOnly))]
    public void RecordForward()
    {
        _tape?.Dispose();
        _tape = new Tape<float>(_device);
        _loss = Forward(_tape);
    }

    /// <summary>The backward pass alone (CG with backend products, then the fused affinity + normalization backward on the backend).</summary>
    [Benchmark]
    public void BackwardOnly() => _tape!.Backward(_loss!);
}
