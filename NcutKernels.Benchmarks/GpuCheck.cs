// GpuCheck: the documented GPU timing and accuracy harness (`NcutKernels.Benchmarks gpu-check [--out DIR] [--quick] [--only nystrom|trace]`).
using System.Diagnostics;
using System.Globalization;
using NcutKernels.Backends;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Solvers;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

/// <summary>
/// Checks the CUDA backend against the managed CPU backend (float64 where it matters) and times the
/// GPU targets with Stopwatch + device synchronization (median of repeated runs after a warm-up).
/// Prints a markdown report and writes it to --out DIR (default $OUT or the current folder).
/// </summary>
public static partial class GpuCheck
{
    private static string? _reportPath;

    /// <summary>The distance arithmetic of the Nyström sections' default rows: 3xTF32 unless its check failed.</summary>
    private static DistancePrecision _defaultPrecision = DistancePrecision.Tf32x3;
    private static int _repeatCap = int.MaxValue;

    public static int Run(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        int at = Array.IndexOf(args, "--out");
        string outDir = at >= 0 && at + 1 < args.Length ? args[at + 1] : Environment.GetEnvironmentVariable("OUT") ?? ".";
        // --quick: sizes ÷ 8 and two repeats, to dry-run the harness on a CPU-only machine.
        int div = args.Contains("--quick") ? 8 : 1;
        _repeatCap = div == 1 ? int.MaxValue : 2;
        using var gpu = ComputeDevice.Create(DeviceKind.Auto, Console.Out);
        using var cpu = ComputeDevice.Create(DeviceKind.Cpu);
        using var cuda = new RawCuda();
        Directory.CreateDirectory(outDir);
        _reportPath = Path.Combine(outDir, "gpu-check.md");
        File.WriteAllText(_reportPath, "");
        Line($"# gpu-check {DateTime.UtcNow:yyyy-MM-dd HH:mm}Z — {gpu.Name} ({gpu.Kind}); CPU: {Environment.ProcessorCount} cores");
        int failures = 0;
        void Check(string what, bool ok, string detail)
        {
            Line($"- [{(ok ? "ok" : "FAIL")}] {what}: {detail}");
            if (!ok)
                failures++;
        }

        // --only nystrom: the Nyström forward table, its sub-stages and the memory drift check alone (a short second pass on a lent device);
        // --only trace: the channel-tracing target alone.
        int only = Array.IndexOf(args, "--only");
        if (only >= 0)
        {
            string what = only + 1 < args.Length ? args[only + 1] : "";
            if (what is not ("nystrom" or "trace"))
                throw new ArgumentException($"--only takes 'nystrom' or 'trace', got '{what}'.", nameof(args));
            if (what == "trace")
                ChannelTracing(gpu, cpu, div, outDir, Check);
            else
                NystromForward(gpu, div, Check);
            Line($"\n{failures} check(s) failed");
            return failures == 0 ? 0 : 1;
        }

        // The targets first (the report file grows line by line, so a run cut short keeps what it measured).
        ClusteredGradientTimings(gpu, div);
        if (!DistanceTiles(cuda, div, Check))
        {
            _defaultPrecision = DistancePrecision.Fp32;
            Line("- 3xTF32 distance tile failed its check: the Nyström sections below use the float32 FMA tile");
        }
        ClassicPieces(cuda, div, Check);
        NystromForward(gpu, div, Check);
        NystromGradientAndTracing(gpu, cpu, div, Check);
        ChannelTracing(gpu, cpu, div, outDir, Check);

        Line("\n## Accuracy (CUDA float32 vs managed CPU)");
        foreach (var kind in new[] { AffinityKind.Rbf, AffinityKind.Cosine })
        {
            var x = BenchData.Uniform(1000, 768, 1);
            var (g, c) = (AffinityOf(gpu, x, 1000, 768, kind), AffinityOf(cpu, x, 1000, 768, kind));
            double err = MaxAbsDiff(g, c);
            Check($"{kind} affinity 1000×1000, d=768", err < 1e-5, $"max |ΔW| = {err:E2}");
        }
        {
            var x = BenchData.Mixture(2048, 64, 20, 2);
            var xd = x.Select(v => (double)v).ToArray();
            // σ = 8 keeps the 20 clusters apart (a clear gap after λ20); the degree rule would pick a nearly complete graph.
            var o = new NcutOptions { EigenvectorCount = 20, Sigma = 8 };
            var ng = new Ncut(gpu, o);
            var ug = ng.FitTransform<float>(x, 2048, 64);
            var nc = new Ncut(cpu, o);
            var uc = nc.FitTransform<double>(xd, 2048, 64);
            double lam = Enumerable.Range(0, 20).Max(j => Math.Abs(ng.Eigenvalues[j] - nc.Eigenvalues[j]) / Math.Abs(nc.Eigenvalues[j]));
            double sin = SubspaceSin(uc, ug, 2048, 20);
            Check("FitTransform 2048×64 mixture k=20 eigenvalues vs float64", lam < 1e-5, $"max rel err {lam:E2}; σ {ng.Sigma:G5} vs {nc.Sigma:G5}");
            Check("FitTransform subspace vs float64", sin < 1e-3, $"sin θ = {sin:E2}; {ng.Report}");
            var again = new Ncut(gpu, o).FitTransform<float>(x, 2048, 64);
            Check("same seed → identical bits on CUDA", again.Cast<float>().SequenceEqual(ug.Cast<float>()), "two runs compared");
        }
        {
            int n = 4096;
            var rng = new Random(5);
            var x = new float[n * 8];
            for (int i = 0; i < n; i++)
                for (int k = 0; k < 8; k++)
                    x[i * 8 + k] = (i % 5) * 100 + rng.NextSingle();
            var ncut = new Ncut(gpu, new NcutOptions { EigenvectorCount = 8, Sigma = 1 });
            ncut.FitTransform<float>(x, n, 8);
            int ones = ncut.Eigenvalues.Count(v => Math.Abs(v - 1) < 1e-4);
            Check("5 disconnected components → λ = 1 five times", ones == 5, $"eigenvalues {string.Join(" ", ncut.Eigenvalues.Select(v => v.ToString("F5")))}");
        }

        Line("\n## Gradient (tape on CUDA float32 vs managed CPU float64)");
        foreach (var (fullN, d) in new[] { (1024, 64), (4096, 384) })
        {
            int n = fullN / div;
            var x = BenchData.Mixture(n, d, 20, 3);
            var weights = new float[n, 20];
            var rng = new Random(1);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < 20; j++)
                    weights[i, j] = rng.NextSingle() + 0.5f;
            (double[] grad, double fwd, double bwd, string report) Run<T>(ComputeDevice dev, T[,] input) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
            {
                using var tape = new Autodiff.Tape<T>(dev);
                var v = tape.Input(input);
                // σ = √d keeps the 20 clusters apart but connected (within-cluster d² ≈ 2d).
                var ncut = new Ncut(dev, new NcutOptions { EigenvectorCount = 20, Sigma = Math.Sqrt(d) });
                var sw = Stopwatch.StartNew();
                var (u, _) = ncut.FitTransform(v);
                double f = sw.Elapsed.TotalMilliseconds;
                var w = new T[n, 20];
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < 20; j++)
                        w[i, j] = T.CreateChecked(weights[i, j]);
                sw.Restart();
                tape.Backward(Ops.TapeOps.Sum(tape, Ops.TapeOps.Multiply(tape, Ops.TapeOps.Square(tape, u), tape.Constant(w))));
                var g = v.Gradient;
                double b = sw.Elapsed.TotalMilliseconds;
                return (g.Cast<T>().Select(double.CreateChecked).ToArray(), f, b, ncut.GradientReport!.ToString());
            }
            var xf = new float[n, d];
            var xd = new double[n, d];
            for (int i = 0; i < n; i++)
                for (int c = 0; c < d; c++)
                    xd[i, c] = xf[i, c] = x[i * d + c];
            Run(gpu, xf); // warm-up: kernel compilation
            var g32 = Run(gpu, xf);
            var g64 = Run(cpu, xd);
            double num = 0, den = 0;
            for (int i = 0; i < g32.grad.Length; i++)
            {
                num += (g32.grad[i] - g64.grad[i]) * (g32.grad[i] - g64.grad[i]);
                den += g64.grad[i] * g64.grad[i];
            }
            double rel = Math.Sqrt(num / den);
            Check($"dX of Σ w∘U², {n}×{d} mixture, k=20, σ=√d: CUDA float32 vs CPU float64", rel < 1e-3 && g32.grad.All(double.IsFinite),
                $"relative error {rel:E2}; CUDA forward {g32.fwd:F1} ms, backward {g32.bwd:F1} ms (CG on the host with device products, fused backward kernels); {g32.report}");
        }

        Line("\n## Exact gradient at the target sizes (ncut_pytorch's measurement: standard normal X, default σ, loss Σ U; target fwd+bwd ≤ 100 ms at 8192)");
        Line("| n×d, k | forward median ms | backward median ms | fwd+bwd median ms | notes |\n|---|---|---|---|---|");
        var finiteness = new List<(string what, bool ok, string detail)>();
        foreach (int fullN in new[] { 4096, 8192 })
        {
            int n = fullN / div, d = 384;
            var flat = BenchData.Normal(n, d);
            var x = new float[n, d];
            Buffer.BlockCopy(flat, 0, x, 0, flat.Length * sizeof(float));
            var times = new List<(double fwd, double bwd)>();
            bool finite = true;
            string notes = "";
            for (int r = 0; r <= Math.Min(5, _repeatCap); r++) // run 0 is the warm-up (kernel compilation)
            {
                using var tape = new Autodiff.Tape<float>(gpu);
                var v = tape.Input(x);
                var ncut = new Ncut(gpu, new NcutOptions { EigenvectorCount = 20 });
                var sw = Stopwatch.StartNew();
                var (u, _) = ncut.FitTransform(v);
                gpu.Backend.Synchronize();
                double f = sw.Elapsed.TotalMilliseconds;
                var loss = Ops.TapeOps.Sum(tape, u);
                sw.Restart();
                tape.Backward(loss);
                var g = v.Gradient;
                double b = sw.Elapsed.TotalMilliseconds;
                finite &= g.Cast<float>().All(float.IsFinite);
                if (r > 0)
                    times.Add((f, b));
                notes = $"σ {ncut.Sigma:G4}; {ncut.GradientReport}";
            }
            double Median(IEnumerable<double> t) => t.Order().ElementAt(times.Count / 2);
            Line($"| {n}×{d}, k=20 | {Median(times.Select(t => t.fwd)):F1} | {Median(times.Select(t => t.bwd)):F1} | {Median(times.Select(t => t.fwd + t.bwd)):F1} | {notes} |");
            finiteness.Add(($"dX finite at {n}×{d}, k=20 (randn, default σ)", finite, $"{times.Count} timed runs"));
        }
        foreach (var (what, ok, detail) in finiteness)
            Check(what, ok, detail);

        Line("\n## Timings (median of repeats after one warm-up; Stopwatch around device-synchronized calls)");
        Line("| what | median ms | min ms | notes |\n|---|---|---|---|");
        {
            int n = 10240 / div, d = 768;
            using var xm = DeviceMatrix<float>.Upload(gpu, BenchData.Uniform(n, d), n, d);
            using var w = DeviceMatrix<float>.Allocate(gpu, n, n);
            var t = Time(10, () => { gpu.Backend.Affinity(xm.All, w, AffinityKind.Rbf, 1 / (2.0 * 128 * 128)); gpu.Backend.Synchronize(); });
            Row($"RBF affinity {n}×{n}, d={d} (device-resident)", t, $"{2.0 * n * n * d / (t.median * 1e-3) / 1e12:F1} TFLOP/s (Gram part); target ≤ 10 ms");
            using var v = DeviceMatrix<float>.Allocate(gpu, 16, n);
            using var y = DeviceMatrix<float>.Allocate(gpu, 16, n);
            var tp = Time(20, () => { gpu.Backend.SymmetricProduct(w, v.All, y.All); gpu.Backend.Synchronize(); });
            Row($"block product M·V, n={n}, 16 vectors", tp, $"{4.0 * n * n / (tp.median * 1e-3) / 1e12:F2} TB/s reading M");
            using var q = DeviceMatrix<float>.Allocate(gpu, 80, n);
            var coef = new double[80, 16];
            var ti = Time(50, () => gpu.Backend.InnerProducts(q.All, v.All));
            Row($"inner products 80×16 of length {n} (with download)", ti, "per call");
            var tc = Time(50, () => gpu.Backend.Combine(y.All, 1, q.All, coef));
            Row($"combine 16 ← 80 vectors of length {n} (with coefficient upload)", tc, "per call");
            var ts = Time(50, () => gpu.Backend.Synchronize());
            Row("empty synchronize", ts, "per call");
        }
        {
            // The backward's two device stages at the target size: one CG product as SpectralOps runs it (k vectors up,
            // W·V, down) and the fused affinity + normalization backward (pass 1, S, row sums, S·X, X̄ download).
            int n = 8192 / div, d = 384, k = 20;
            using var xm = DeviceMatrix<float>.Upload(gpu, BenchData.Normal(n, d), n, d);
            using var w = DeviceMatrix<float>.Allocate(gpu, n, n);
            gpu.Backend.Affinity(xm.All, w, AffinityKind.Rbf, 1 / (2.0 * 256 * 256));
            using var deg = DeviceMatrix<float>.Allocate(gpu, 1, n);
            gpu.Backend.RowSums(w, deg.All);
            var degrees = deg.Download().Cast<float>().Select(v => (double)v).ToArray();
            var rng = new Random(4);
            var u = Enumerable.Range(0, n * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var y = Enumerable.Range(0, n * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
            var gx = new double[n * d];
            var staged = new float[k * n];
            using var vIn = DeviceMatrix<float>.Allocate(gpu, k, n);
            using var vOut = DeviceMatrix<float>.Allocate(gpu, k, n);
            var tp = Time(20, () =>
            {
                vIn.Storage.Upload(staged, 0);
                gpu.Backend.SymmetricProduct(w, vIn.All, vOut.All);
                vOut.Download(staged);
            });
            Row($"one backward CG product, n={n}, k={k} (upload, W·V, download)", tp, "the host CG adds O(n·k²) float64 work per iteration");
            var tf = Time(10, () => gpu.Backend.AccumulateEmbeddingGradient(AffinityKind.Rbf, xm.All, w, degrees, y, u, 256, gx));
            Row($"fused RBF + normalization backward, n={n}, d={d}, k={k}", tf,
                $"pass 1 (W·(s∘B), d̄), S (n²·2k), row sums, S·X ({2.0 * n * n * d / (tf.median * 1e-3) / 1e12:F1} TFLOP/s counting S·X alone), X̄ download");
        }
        foreach (double? fixedSigma in new double?[] { null, 8 })
        {
            int n = 10240 / div;
            using var m = LanczosBenchmarks.Prepare(gpu, n, out double sigma, fixedSigma);
            LanczosReport? rep = null;
            var t = Time(10, () => rep = BlockLanczos<float>.Solve(gpu, m, 20, 1e-5, 0, 1000).report);
            Row($"top-20 eigenpairs of {n}² normalized affinity (mixture, d=64, σ={sigma:G4}{(fixedSigma is null ? " by degree rule" : "")}), tol 1e-5", t, $"{rep}; target ≤ 10 ms");
        }
        foreach (var (fullN, d, k, mixture) in new[] { (3000, 768, 10, false), (10240, 768, 20, false), (10240, 64, 20, true), (4096, 384, 20, false), (8192, 384, 20, false) })
        {
            int n = fullN / div;
            var x = mixture ? BenchData.Mixture(n, d) : BenchData.Uniform(n, d);
            Ncut? last = null;
            var t = Time(5, () => { last = new Ncut(gpu, new NcutOptions { EigenvectorCount = k }); last.FitTransform<float>(x, n, d); });
            Row($"FitTransform {n}×{d} {(mixture ? "mixture" : "uniform")} k={k} (host in/out)", t, $"{last!.Timings}; {last.Report}");
        }
        SamplingTimings(cuda, div, Check);
        Directory.CreateDirectory(outDir);
        Line($"\n{failures} check(s) failed");
        return failures == 0 ? 0 : 1;
    }

    private static void Line(string s)
    {
        Console.WriteLine(s);
        if (_reportPath is not null)
            File.AppendAllText(_reportPath, s + "\n");
    }

    private static void Row(string what, (double median, double min) t, string notes) => Line($"| {what} | {t.median:F3} | {t.min:F3} | {notes} |");

    /// <summary>The process's GC pause total and collection counts at one moment, to attribute a timed run's outliers.</summary>
    private readonly record struct GcMark(double PauseMs, int Gen0, int Gen1, int Gen2)
    {
        public static GcMark Now() => new(GC.GetTotalPauseDuration().TotalMilliseconds, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

        public string Since(GcMark start) => $"{PauseMs - start.PauseMs:F1} ({Gen0 - start.Gen0}/{Gen1 - start.Gen1}/{Gen2 - start.Gen2})";
    }

    private static (double median, double min) Time(int repeats, Action action)
    {
        action();
        var times = new List<double>();
        for (int r = 0; r < Math.Min(repeats, _repeatCap); r++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return (times[times.Count / 2], times[0]);
    }

    private static float[] AffinityOf(ComputeDevice device, float[] x, int n, int d, AffinityKind kind)
    {
        using var xm = DeviceMatrix<float>.Upload(device, x, n, d);
        using var w = DeviceMatrix<float>.Allocate(device, n, n);
        device.Backend.Affinity(xm.All, w, kind, 1 / (2.0 * 8 * 8));
        var result = new float[n * n];
        w.Download(result);
        return result;
    }

    private static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs((double)p - q)).Max();

    /// <summary>‖(I − A·Aᵀ)·B‖_F for n×k column sets A (reference) and B.</summary>
    private static double SubspaceSin(double[,] a, float[,] b, int n, int k)
    {
        var proj = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                for (int r = 0; r < n; r++)
                    proj[i, j] += a[r, i] * b[r, j];
        double s = 0;
        for (int r = 0; r < n; r++)
            for (int j = 0; j < k; j++)
            {
                double v = b[r, j];
                for (int i = 0; i < k; i++)
                    v -= a[r, i] * proj[i, j];
                s += v * v;
            }
        return Math.Sqrt(s);
    }
}
