// GpuCheckTrace: gpu-check's channel-tracing target — 64 images' ViT-sized features (64 × 196 patches × 768 channels, the Nyström path) traced end to end, checked against the managed CPU.
using System.Diagnostics;
using NcutKernels.Core;
using NcutKernels.IO;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public static partial class GpuCheck
{
    /// <summary>
    /// ChannelTracer on 12544 × 768 non-negative mixture features (64 images × 14×14 patches, as ViT-B/16 tokens at 224²
    /// with the CLS token dropped) with the trace command's defaults (cosine, σ = 0.5, k = 10, axis alignment) at 4 and 8
    /// clusters: the second of two runs is timed (the first compiles the kernels). Each result is compared with the same trace
    /// on the managed CPU (float32): labels and the per-channel mean gradients. The features are written to
    /// trace-features.npy in the output folder, so ncut_pytorch's tracing (NcutKernels.Benchmarks/peer_trace.py) reads the
    /// same rows.
    /// </summary>
    private static void ChannelTracing(ComputeDevice gpu, ComputeDevice cpu, int div, string outDir, Action<string, bool, string> check)
    {
        int images = 64 / div, patches = 196, d = 768, n = images * patches;
        string path = n > new NystromOptions().ExactThreshold ? "Nyström" : "exact";
        Line($"\n## Channel tracing, {images} images × {patches} patches × {d} channels ({path} path), end to end without feature extraction");
        var flat = BenchData.Mixture(n, d, 24, 11);
        var x = new float[n, d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
                x[i, c] = Math.Abs(flat[i * d + c]);
        Npy.Write(Path.Combine(outDir, "trace-features.npy"), x);
        Line("| clusters | device | trace (ms) | forward (ms) | backward (ms) | path |");
        Line("|---|---|---|---|---|---|");
        foreach (int clusters in new[] { 4, 8 })
        {
            var options = new ChannelTracerOptions
            {
                Clusters = clusters,
                Kway = KwayMethod.AxisAlign,
                Ncut = new NcutOptions { EigenvectorCount = 10, Affinity = AffinityKind.Cosine, Sigma = 0.5 },
            };
            new ChannelTracer(gpu, options).Trace(x);
            var sw = Stopwatch.StartNew();
            var onGpu = new ChannelTracer(gpu, options).Trace(x);
            double gpuMs = sw.Elapsed.TotalMilliseconds;
            Line($"| {clusters} | {gpu.Kind} | {gpuMs:F0} | {onGpu.ForwardMs:F0} | {onGpu.BackwardMs:F0} | {path} |");
            var onCpu = new ChannelTracer(cpu, options).Trace(x);
            double agree = onGpu.Labels.Zip(onCpu.Labels).Count(p => p.First == p.Second) / (double)n;
            double worst = 0;
            foreach (var (a, b) in onGpu.Clusters.Zip(onCpu.Clusters))
                worst = Math.Max(worst, a.MeanGradient.Zip(b.MeanGradient, (p, q) => Math.Abs(p - q)).Max() / b.MeanAbsGradient.Max());
            check($"ChannelTracer {n}×{d}, {clusters} clusters: {gpu.Kind} vs managed CPU", agree > 0.99 && worst < 1e-2,
                $"labels agree on {agree:P2}; max |Δ mean gradient| / max channel {worst:E2}; CPU trace {onCpu.ForwardMs + onCpu.BackwardMs:F0} ms");
        }
    }
}
