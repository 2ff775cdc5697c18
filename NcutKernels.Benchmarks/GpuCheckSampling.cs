// GpuCheckSampling: gpu-check's farthest-point sampling section — 10240 picks of 10⁵ and 10⁶ uniform 8-d points on the device, timed and compared pick by pick with the managed greedy walk.
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public static partial class GpuCheck
{
    /// <summary>
    /// One timing row per size (device-resident points, picks downloaded; targets ≤ 30 ms at 10⁵ and ≤ 60 ms at 10⁶) and a
    /// check that the picks equal <see cref="FarthestPointSampling.Greedy"/> on the widened points; on a mismatch the
    /// detail gives the first differing step and how near a tie it was (float32 distances vs float64).
    /// </summary>
    private static void SamplingTimings(ComputeDevice gpu, int div, Action<string, bool, string> check)
    {
        Line("\n## Farthest-point sampling, 10240 picks of uniform 8-d points (device-resident; median of 5 after a warm-up)");
        Line("| what | median ms | min ms | notes |\n|---|---|---|---|");
        foreach (int fullN in new[] { 100_000, 1_000_000 })
        {
            int n = fullN / div, count = 10240 / div, p = 8;
            var x = BenchData.Uniform(n, p, 9);
            using var m = DeviceMatrix<float>.Upload(gpu, x, n, p);
            int[] picks = [];
            var t = Time(5, () => picks = gpu.Backend.FarthestPointSample(m.All, count));
            Row($"FPS {count} of {n}×{p}", t, $"{t.median * 1e3 / count:F2} µs per pick; target ≤ {(fullN > 100_000 ? 60 : 30)} ms at full size");
            var y = Array.ConvertAll(x, v => (double)v);
            var greedy = FarthestPointSampling.Greedy(y, n, p, count);
            int agree = picks.Zip(greedy).TakeWhile(q => q.First == q.Second).Count();
            string detail = agree == count ? $"all {count} picks equal" : $"first {agree} equal; then row {picks[agree]} vs {greedy[agree]}, " +
                $"squared distances to the earlier picks {NearestPick(y, p, greedy, agree, picks[agree]):R} vs {NearestPick(y, p, greedy, agree, greedy[agree]):R}";
            check($"FPS {count} of {n}×{p}: device picks = managed Greedy", agree == count, detail);
        }
    }

    /// <summary>Squared distance (float64) of row r of y (·×p) to the nearest of picks[0..steps).</summary>
    private static double NearestPick(double[] y, int p, int[] picks, int steps, int r) =>
        picks.Take(steps).Min(q => Enumerable.Range(0, p).Sum(e => (y[(long)r * p + e] - y[(long)q * p + e]) * (y[(long)r * p + e] - y[(long)q * p + e])));
}
