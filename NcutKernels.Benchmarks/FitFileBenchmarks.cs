// FitFileBenchmarks: transforming a 768-d float32 shard with a fit loaded from its file (default options, k = 20, m = 10240 landmarks) — the work of one `ncut transform` job — on fits whose size puts the classic extension over every landmark or over a least-squares subset.
using BenchmarkDotNet.Attributes;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public class FitFileBenchmarks
{
    private const int D = 768, CheckRows = 2000;

    private ComputeDevice _device = null!;
    private float[] _shard = null!;
    private string _file = null!;
    private NystromNcut _loaded = null!;

    public static IEnumerable<DeviceKind> Kinds => BenchData.Devices();

    [ParamsSource(nameof(Kinds))]
    public DeviceKind Device { get; set; }

    /// <summary>A fit's points and the rows of the shard it transforms (shown as "fit points:shard rows").</summary>
    public readonly record struct FitCase(int FitPoints, int ShardRows)
    {
        public override string ToString() => $"{FitPoints}:{ShardRows}";
    }

    /// <summary>
    /// Both fits (20-cluster mixtures) have the default m = 10240 landmarks. 40,960 points keep n·m ≤ 2³⁰, so the classic extension
    /// sums over all 10240 (n·m·d work per row: a 10,000-row shard, to stay within minutes on 2 cores); 200,000 points take the
    /// least-squares subset (256–1024 landmarks: README, "Nyström over a landmark subset") and a 100,000-row shard.
    /// </summary>
    public static IEnumerable<FitCase> Cases => [new(40_960, 10_000), new(200_000, 100_000)];

    [ParamsSource(nameof(Cases))]
    public FitCase Case { get; set; }

    private int FitPoints => Case.FitPoints;

    private int ShardRows => Case.ShardRows;

    /// <summary>
    /// Fits once on the first FitPoints rows of one mixture, saves the fit to a temporary file and loads it; the shard is the
    /// next ShardRows rows. Checks that the loaded fit transforms 2000 shard rows as the fitted object does (same device and
    /// element type: identical; the tolerance 1e-6 only reports the size of a difference should one appear).
    /// </summary>
    [GlobalSetup]
    public void Setup()
    {
        _device = ComputeDevice.Create(Device);
        var all = BenchData.Mixture(FitPoints + ShardRows, D);
        _shard = all.AsSpan(FitPoints * D).ToArray();
        _file = Path.Combine(Path.GetTempPath(), $"ncut-fit-bench-{Guid.NewGuid():N}.ncutfit");
        using (var fit = new NystromNcut(_device, new NcutOptions { EigenvectorCount = 20 }))
        {
            fit.Fit<float>(all.AsSpan(0, FitPoints * D), FitPoints, D);
            fit.Save(_file);
            _loaded = NystromNcut.Load(_device, _file);
            var expected = fit.Transform<float>(_shard.AsSpan(0, CheckRows * D), CheckRows, D);
            var actual = _loaded.Transform<float>(_shard.AsSpan(0, CheckRows * D), CheckRows, D);
            double worst = 0;
            foreach (var (e, a) in expected.Cast<float>().Zip(actual.Cast<float>()))
                worst = Math.Max(worst, Math.Abs(e - a));
            if (!(worst <= 1e-6))
                throw new InvalidOperationException($"The loaded fit's transform differs from the fitted object's by {worst:E2} (> 1e-6).");
            Console.WriteLine($"// fit of {FitPoints} points: {fit.LandmarkIndices.Length} landmarks, classic extension over {fit.AnchorIndices.Length} of them; " +
                $"file {new FileInfo(_file).Length / 1e6:F1} MB; loaded transform matches (max |difference| {worst:E2})");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _loaded.Dispose();
        File.Delete(_file);
        _device.Dispose();
    }

    /// <summary>The shard through the loaded fit (already on the device).</summary>
    [Benchmark]
    public float[,] Transform() => _loaded.Transform<float>(_shard, ShardRows, D);

    /// <summary>What one `ncut transform` job does besides its .npy files: load the fit from its file, transform the shard.</summary>
    [Benchmark]
    public float[,] LoadAndTransform()
    {
        using var fit = NystromNcut.Load(_device, _file);
        return fit.Transform<float>(_shard, ShardRows, D);
    }
}
