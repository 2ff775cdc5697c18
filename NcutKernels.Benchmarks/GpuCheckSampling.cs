// GpuCheckSampling: gpu-check's farthest-point sampling section — 10240 picks of 10⁵ and 10⁶ uniform 8-d points on CUDA, the grid walk against the one-group walk (time and picks) and the managed greedy walk.
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Backends.Managed;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public static partial class GpuCheck
{
    /// <summary>
    /// One timing row per size and walk (device-resident points, picks downloaded; targets ≤ 30 ms at 10⁵ and ≤ 60 ms at
    /// 10⁶): the grid walk over every multiprocessor and the one-group walk it replaced. Checks that both pick the same rows;
    /// agreement with <see cref="FarthestPointWalk.Greedy"/> (float64 distances) is reported, not checked — float32
    /// distances may order a near tie the other way (the detail says how near).
    /// </summary>
    private static void SamplingTimings(RawCuda cuda, int div, Action<string, bool, string> check)
    {
        Line("\n## Farthest-point sampling, 10240 picks of uniform 8-d points (device-resident; median of 5 after a warm-up)");
        if (CudaOrSkip(cuda) is not { } acc)
            return;
        using var resources = new IlgpuResources(acc);
        var nystrom = new IlgpuNystrom(resources);
        Line("| what | median ms | min ms | notes |\n|---|---|---|---|");
        foreach (int fullN in new[] { 100_000, 1_000_000 })
        {
            int n = fullN / div, count = 10240 / div, p = 8;
            var x = BenchData.Uniform(n, p, 9);
            using var points = acc.Allocate1D(x);
            var shape = nystrom.GridShape(n, p);
            int[] grid = [], single = [];
            var tg = Time(5, () => grid = nystrom.FarthestPointSample(points.View, n, p, count, shape, IlgpuNystrom.GridSpinLimit));
            Row($"FPS {count} of {n}×{p}, grid walk ({shape.Groups} groups of {shape.GroupSize})", tg, $"{tg.median * 1e3 / count:F2} µs per pick; target ≤ {(fullN > 100_000 ? 60 : 30)} ms");
            var ts = Time(2, () => single = nystrom.FarthestPointSample(points.View, n, p, count, (0, 0), 0));
            Row($"FPS {count} of {n}×{p}, one-group walk", ts, $"{ts.median * 1e3 / count:F2} µs per pick");
            int same = grid.Zip(single).TakeWhile(q => q.First == q.Second).Count();
            check($"FPS {count} of {n}×{p}: grid walk = one-group walk", same == count, same == count ? "identical picks" : $"first {same} equal");
            var y = Array.ConvertAll(x, v => (double)v);
            var greedy = FarthestPointWalk.Greedy(y, n, p, count);
            int agree = grid.Zip(greedy).TakeWhile(q => q.First == q.Second).Count();
            Line(agree == count ? $"- managed Greedy (float64): all {count} picks equal" : $"- managed Greedy (float64): first {agree} picks equal; then row {grid[agree]} vs {greedy[agree]}, " +
                $"squared distances to the earlier picks {NearestPick(y, p, greedy, agree, grid[agree]):R} vs {NearestPick(y, p, greedy, agree, greedy[agree]):R}");
        }
    }

    /// <summary>Squared distance (float64) of row r of y (·×p) to the nearest of picks[0..steps).</summary>
    private static double NearestPick(double[] y, int p, int[] picks, int steps, int r) =>
        picks.Take(steps).Min(q => Enumerable.Range(0, p).Sum(e => (y[(long)r * p + e] - y[(long)q * p + e]) * (y[(long)r * p + e] - y[(long)q * p + e])));
}
