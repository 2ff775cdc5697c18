// GpuCheckNystrom: gpu-check's sections for the exact gradient on clustered data, Nyström at 10⁴–10⁶ points and channel tracing (CUDA vs CPU).
using System.Diagnostics;
using NcutKernels.Autodiff;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public static partial class GpuCheck
{
    /// <summary>Forward + backward at 4096 and 8192 × 384 on the 20-cluster mixture (σ = √d), where float32 eigenvectors are resolved and CG converges.</summary>
    private static void ClusteredGradientTimings(ComputeDevice gpu, int div)
    {
        Line("\n## Exact gradient on clustered data (20-cluster mixture, σ = √d, loss Σ U²·w; the checked-gradient case of the 100 ms target)");
        Line("| n×d, k | forward median ms | backward median ms | fwd+bwd median ms | notes |\n|---|---|---|---|---|");
        foreach (int fullN in new[] { 4096, 8192 })
        {
            int n = fullN / div, d = 384;
            var flat = BenchData.Mixture(n, d, 20, 6);
            var x = new float[n, d];
            Buffer.BlockCopy(flat, 0, x, 0, flat.Length * sizeof(float));
            var w = new float[n, 20];
            var rng = new Random(2);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < 20; j++)
                    w[i, j] = rng.NextSingle() + 0.5f;
            var times = new List<(double fwd, double bwd)>();
            string notes = "";
            // Two warm-ups: the first compiles the kernels, the second lets .NET's tiered JIT settle (this section runs first).
            for (int r = 0; r < 2 + Math.Min(7, _repeatCap); r++)
            {
                using var tape = new Tape<float>(gpu);
                var v = tape.Input(x);
                var ncut = new Ncut(gpu, new NcutOptions { EigenvectorCount = 20, Sigma = Math.Sqrt(d) });
                var sw = Stopwatch.StartNew();
                var (u, _) = ncut.FitTransform(v);
                gpu.Backend.Synchronize();
                double f = sw.Elapsed.TotalMilliseconds;
                var loss = tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(w)));
                sw.Restart();
                tape.Backward(loss);
                _ = v.Gradient;
                double b = sw.Elapsed.TotalMilliseconds;
                if (r > 1)
                    times.Add((f, b));
                notes = ncut.GradientReport?.ToString() ?? "";
            }
            double Median(IEnumerable<double> t) => t.Order().ElementAt(times.Count / 2);
            Line($"| {n}×{d}, k=20 | {Median(times.Select(t => t.fwd)):F1} | {Median(times.Select(t => t.bwd)):F1} | {Median(times.Select(t => t.fwd + t.bwd)):F1} | {notes} |");
        }
    }

    /// <summary>
    /// A fit keeps its landmarks on the device until disposed: six fit–transform–dispose rounds at n × 768 must leave the CUDA
    /// free memory where the first left it (the backends' grow-only scratch is reached in the first round; a leaked fit would
    /// cost m×d floats, 31 MiB at m = 10240, per round).
    /// </summary>
    private static void NystromMemoryDrift(ComputeDevice gpu, int n, Action<string, bool, string> check)
    {
        const double MiB = 1 << 20;
        using var xd = DeviceMatrix<float>.Upload(gpu, BenchData.Uniform(n, 768, 11), n, 768);
        long Free()
        {
            gpu.Backend.Synchronize();
            ILGPU.Runtime.Cuda.CudaAPI.CurrentAPI.GetMemoryInfo(out long free, out long _);
            return free;
        }
        long first = 0;
        for (int round = 0; round < 6; round++)
        {
            using (var ncut = new NystromNcut(gpu, new NcutOptions { EigenvectorCount = 20 }, new NystromOptions { Path = EmbeddingPath.Nystrom }))
            using (ncut.FitTransform(xd))
            {
            }
            if (round == 0)
                first = Free();
        }
        long drift = first - Free();
        // 16 MiB of slack: the driver hands out memory in 2 MiB pages and may keep a few for itself between calls.
        check($"device memory over 5 more Nyström fits at {n}×768 (fit, transform, dispose)", drift <= 16 * MiB,
            $"free after the 1st round {first / MiB:F0} MiB, drift {drift / MiB:F1} MiB");
    }

    /// <summary>Nyström end to end at 10⁴–10⁶ × 768 (device-resident input and output): the timing table, its sub-stage lines and the memory drift check.</summary>
    private static void NystromForward(ComputeDevice gpu, int div, Action<string, bool, string> check)
    {
        Line("\n## Nyström forward, 768-d 20-cluster mixture, device-resident (x uploaded once, upload excluded and shown; output left on the device; median of 3 after a warm-up; the accuracy check runs in one more, untimed fit)");
        Line($"| n | k | mode (distances {_defaultPrecision} unless named) | upload ms | median ms | min ms | stages of the last run | GC over the warm-up and timed runs: pause ms (gen0/1/2 collections); last run's pause | UTC start–end |\n|---|---|---|---|---|---|---|---|---|");
        var subStages = new List<string>();
        var accuracy = new List<string>();
        foreach (var (fullN, k) in new[] { (10_000, 20), (100_000, 20), (100_000, 100), (1_000_000, 20) })
        {
            // --quick (a CPU dry run) shrinks these by 100, not 8: the classic extension is n·m·d work.
            int n = div == 1 ? fullN : fullN / 100, d = 768;
            var x = BenchData.Mixture(n, d, 20, 9);
            var sw = Stopwatch.StartNew();
            using var xd = DeviceMatrix<float>.Upload(gpu, x, n, d);
            gpu.Backend.Synchronize();
            double upload = sw.Elapsed.TotalMilliseconds;
            foreach (var (mode, options) in new[]
            {
                ("uniform + classic (default)", new NystromOptions { DistancePrecision = _defaultPrecision }),
                ("uniform + classic, TF32 distances", new NystromOptions { DistancePrecision = DistancePrecision.Tf32 }),
                ("uniform + renormalized nearest", new NystromOptions { Propagation = NystromPropagation.Renormalized, DistancePrecision = _defaultPrecision }),
                ("uniform + renormalized nearest, TF32 distances", new NystromOptions { Propagation = NystromPropagation.Renormalized, DistancePrecision = DistancePrecision.Tf32 }),
                ("farthest point + ncut_pytorch propagation", new NystromOptions { Sampling = LandmarkSampling.FarthestPoint, Propagation = NystromPropagation.NcutPytorch, DistancePrecision = _defaultPrecision }),
            })
            {
                // TF32 rows only at 10⁵ and 10⁶ with k = 20; no farthest-point row at k = 100.
                bool tf32 = options.DistancePrecision == DistancePrecision.Tf32, fps = options.Sampling == LandmarkSampling.FarthestPoint;
                if (tf32 && (k == 100 || fullN < 100_000) || fps && k == 100)
                    continue;
                NystromNcut? last = null;
                StringWriter? log = null;
                var start = DateTime.UtcNow;
                var gc = GcMark.Now();
                double lastPause = 0;
                var t = Time(3, () =>
                {
                    var before = GcMark.Now();
                    // 10⁵ and 10⁶ keep each run's log: its sub-stage lines (landmark choice and gather, eigen-solve, anchors' walk and σp) follow the table.
                    log = fullN >= 100_000 ? new StringWriter() : null;
                    last?.Dispose();
                    last = new NystromNcut(gpu, new NcutOptions { EigenvectorCount = k, Log = log }, options with { Path = EmbeddingPath.Nystrom });
                    using (last.FitTransform(xd))
                        gpu.Backend.Synchronize();
                    lastPause = GcMark.Now().PauseMs - before.PauseMs;
                });
                string summed = last!.Propagation == NystromPropagation.Classic ? $" (sums over {last.AnchorIndices.Length} of {last.LandmarkIndices.Length} landmarks)" : "";
                Line($"| {n} | {k} | {mode}{summed} | {upload:F1} | {t.median:F1} | {t.min:F1} | {last!.Timings} | {GcMark.Now().Since(gc)}; {lastPause:F1} | {start:HH:mm:ss.fff}–{DateTime.UtcNow:HH:mm:ss.fff} |");
                last.Dispose();
                if (last.Propagation == NystromPropagation.Classic)
                {
                    // The sampled-row accuracy check (2000 rows against the float64 all-landmark extension), outside the timed runs.
                    using var checkedFit = new NystromNcut(gpu, new NcutOptions { EigenvectorCount = k }, options with { Path = EmbeddingPath.Nystrom, AccuracyCheckRows = 2000 });
                    using (checkedFit.FitTransform(xd))
                    {
                    }
                    var a = checkedFit.Accuracy!;
                    accuracy.Add($"- {n}, k = {k}, {mode}: subset {checkedFit.AnchorIndices.Length} (residual {checkedFit.SubsetResidual:E2}); {a}");
                    check($"Nyström accuracy at n = {n}, k = {k}, {mode}", a.Passed, a.ToString());
                }
                if (log is not null)
                    subStages.Add($"- {n}, {mode}: " + string.Join("; ", log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Where(l => l.Contains(" ms") && !l.Contains("sampling ")).Select(l => l.Replace("nystrom: ", ""))));
            }
        }

        Line("\nAccuracy of the classic rows (NystromOptions.AccuracyCheckRows = 2000, an extra untimed fit):");
        foreach (var l in accuracy)
            Line(l);
        Line("\nSub-stages of the last run at 10⁵ and 10⁶ (from NcutOptions.Log):");
        foreach (var l in subStages)
            Line(l);
        // Full size only: a leaked 10⁵-point fit costs 31 MiB a round, far above the driver's page noise; a --quick one 0.7 MiB.
        if (gpu.Kind == DeviceKind.Cuda && div == 1)
            NystromMemoryDrift(gpu, 100_000, check);
    }

    /// <summary>The Nyström gradient and channel tracing on the device against the managed CPU backend in float64.</summary>
    private static void NystromGradientAndTracing(ComputeDevice gpu, ComputeDevice cpu, int div, Action<string, bool, string> check)
    {
        Line("\n## Nyström gradient and channel tracing (CUDA float32 vs managed CPU float64)");
        {
            int n = 2048 / div, d = 32;
            var flat = BenchData.Mixture(n, d, 6, 7);
            var (xf, xd) = (new float[n, d], new double[n, d]);
            for (int i = 0; i < n; i++)
                for (int c = 0; c < d; c++)
                    xd[i, c] = xf[i, c] = flat[i * d + c];
            var nystrom = new NystromOptions { ExactThreshold = n / 2, Path = EmbeddingPath.Nystrom };
            double[] Gradient<T>(ComputeDevice dev, T[,] input) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
            {
                using var tape = new Tape<T>(dev);
                var v = tape.Input(input);
                using var ncut = new NystromNcut(dev, new NcutOptions { EigenvectorCount = 6, Sigma = Math.Sqrt(d) }, nystrom);
                var (u, _) = ncut.FitTransform(v);
                tape.Backward(tape.Sum(tape.Square(u)));
                return v.Gradient.Cast<T>().Select(double.CreateChecked).ToArray();
            }
            var (g32, g64) = (Gradient(gpu, xf), Gradient(cpu, xd));
            double rel = Math.Sqrt(g32.Zip(g64, (a, b) => (a - b) * (a - b)).Sum() / g64.Sum(b => b * b));
            check($"Nyström dX of Σ U², {n}×{d} mixture, k=6, {n / 4} landmarks: CUDA float32 vs CPU float64", rel < 1e-3 && g32.All(double.IsFinite), $"relative error {rel:E2}");

            var tracing = new ChannelTracerOptions { Clusters = 6, Ncut = new NcutOptions { EigenvectorCount = 6, Sigma = Math.Sqrt(d) } };
            var sw = Stopwatch.StartNew();
            var onGpu = new ChannelTracer(gpu, tracing).Trace(xf);
            double gpuMs = sw.Elapsed.TotalMilliseconds;
            var onCpu = new ChannelTracer(cpu, tracing).Trace(xd);
            bool sameLabels = onGpu.Labels.SequenceEqual(onCpu.Labels);
            double worst = 0;
            foreach (var (a, b) in onGpu.Clusters.Zip(onCpu.Clusters))
            {
                double scale = b.MeanAbsGradient.Max();
                worst = Math.Max(worst, a.MeanGradient.Zip(b.MeanGradient, (p, q) => Math.Abs(p - q)).Max() / scale);
            }
            check($"ChannelTracer {n}×{d}, 6 clusters: CUDA float32 vs CPU float64", sameLabels && worst < 1e-3,
                $"labels {(sameLabels ? "identical" : "DIFFER")}; max |Δ mean gradient| / max channel {worst:E2}; CUDA trace {gpuMs:F0} ms (first call, kernels compiled earlier)");
        }
    }
}
