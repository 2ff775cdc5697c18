// GpuCheckDistance: gpu-check's section for the Nyström row–anchor distance tile — float32 FMA vs TF32 vs 3xTF32 tensor cores, timed and checked against float64.
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Core;
using NcutKernels.Kernels;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public static partial class GpuCheck
{
    /// <summary>Rows whose distances are checked against float64, and the neighbours compared as sets.</summary>
    private const int CheckedRows = 2048, CheckedNeighbours = 32;

    /// <summary>
    /// The distance tile at rows = 65536 and 262144 × a = 1024 and 10240 anchors, d = 768 (uniform features, device-resident,
    /// median of 5 after a warm-up, TFLOP/s counting 2·rows·a·d), and each precision's accuracy on the first
    /// <see cref="CheckedRows"/> rows: max |Δdist| / max dist against float64, and the fraction of rows whose
    /// <see cref="CheckedNeighbours"/> nearest anchors differ (as sets) from float32's. 3xTF32 must stay within 1e-5.
    /// Returns whether it did (true without CUDA).
    /// </summary>
    private static bool DistanceTiles(RawCuda cuda, int div, Action<string, bool, string> check)
    {
        bool tensorOk = true;
        Line("\n## Nyström distance tile, d = 768: float32 FMA vs TF32 vs 3xTF32 tensor cores (device-resident, median of 5 after a warm-up)");
        if (CudaOrSkip(cuda) is not { } acc)
            return true;
        var fp32 = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(
            PropagationKernels.AnchorDistanceTile);
        using var resources = new IlgpuResources(acc);
        var tensor = new IlgpuDistanceTile(resources);
        const int d = 768;
        int[] rowCounts = [65536 / div, 262144 / div];
        int[] anchorCounts = [1024, 10240 / div];
        int maxRows = rowCounts.Max(), maxAnchors = anchorCounts.Max();
        var x = BenchData.Uniform(maxRows, d, 21);
        using var xBuf = acc.Allocate1D(x);
        using var xsqBuf = acc.Allocate1D<float>(maxRows);
        using var distBuf = acc.Allocate1D<float>((long)maxRows * maxAnchors);
        Line("| rows × anchors | precision | median ms | min ms | TFLOP/s | max \\|Δdist\\| / max dist vs float64 | rows whose 32 nearest differ from float32's |\n|---|---|---|---|---|---|---|");
        foreach (int a in anchorCounts)
        {
            var anchors = BenchData.Uniform(a, d, 22 + a);
            var (centre, ac, asq) = CentredAnchors(anchors, a, d);
            xsqBuf.View.SubView(0, maxRows).CopyFromCPU(CentredNorms(x, maxRows, d, centre));
            using var centreBuf = acc.Allocate1D(centre);
            using var acBuf = acc.Allocate1D(ac);
            using var asqBuf = acc.Allocate1D(asq);
            var reference = ReferenceDistances(x, anchors, CheckedRows, a, d);
            HashSet<int>[]? fp32Nearest = null;
            foreach (int rows in rowCounts)
            {
                var dist = distBuf.View.SubView(0, (long)rows * a);
                foreach (var precision in new[] { DistancePrecision.Fp32, DistancePrecision.Tf32, DistancePrecision.Tf32x3 })
                {
                    void Launch()
                    {
                        if (precision == DistancePrecision.Fp32)
                            fp32(new KernelConfig(new Index2D((a + 127) / 128, (rows + 127) / 128), new Index2D(QuadTile.Threads, QuadTile.Threads)),
                                xBuf.View, centreBuf.View, xsqBuf.View, acBuf.View, asqBuf.View, dist, rows, a, d);
                        else
                            tensor.Launch(xBuf.View, centreBuf.View, xsqBuf.View, acBuf.View, asqBuf.View, dist, rows, a, d, precision);
                        acc.Synchronize();
                    }
                    var t = Time(5, Launch);
                    string accuracy = "", nearest = "";
                    if (rows == rowCounts[0])
                    {
                        var got = new float[CheckedRows * a];
                        dist.SubView(0, got.Length).CopyToCPU(got);
                        double err = reference.Zip(got, (r, g) => Math.Abs(r - g)).Max() / reference.Max();
                        var sets = Nearest(got, CheckedRows, a);
                        fp32Nearest ??= sets;
                        double differ = sets.Zip(fp32Nearest, (p, q) => p.SetEquals(q) ? 0.0 : 1.0).Average();
                        (accuracy, nearest) = ($"{err:E2}", $"{differ:P2}");
                        if (precision == DistancePrecision.Tf32x3)
                            tensorOk &= err <= 1e-5;
                        if (precision == DistancePrecision.Tf32x3)
                            check($"3xTF32 distance tile {CheckedRows}×{a}, d={d} vs float64", err <= 1e-5, $"max |Δdist| / max dist = {err:E2}; 32-nearest sets differ from float32's in {differ:P2} of rows");
                    }
                    Line($"| {rows} × {a} | {precision} | {t.median:F3} | {t.min:F3} | {2.0 * rows * a * d / (t.median * 1e-3) / 1e12:F1} | {accuracy} | {nearest} |");
                }
            }
        }
        return tensorOk;
    }

    /// <summary>The anchors' column means c (float64, rounded), the centred anchors a − c and their squared norms (float32, as the propagation stages them).</summary>
    private static (float[] centre, float[] ac, float[] asq) CentredAnchors(float[] anchors, int a, int d)
    {
        var centre = new float[d];
        for (int k = 0; k < d; k++)
        {
            double s = 0;
            for (int j = 0; j < a; j++)
                s += anchors[(long)j * d + k];
            centre[k] = (float)(s / a);
        }
        var ac = new float[anchors.Length];
        for (long e = 0; e < ac.Length; e++)
            ac[e] = anchors[e] - centre[e % d];
        return (centre, ac, CentredNorms(ac, a, d, new float[d]));
    }

    /// <summary>‖m_r − c‖² for the rows of m (rows×d), summed in float64.</summary>
    private static float[] CentredNorms(float[] m, int rows, int d, float[] centre)
    {
        var sq = new float[rows];
        Parallel.For(0, rows, r =>
        {
            double s = 0;
            for (int k = 0; k < d; k++)
            {
                double v = m[(long)r * d + k] - centre[k];
                s += v * v;
            }
            sq[r] = (float)s;
        });
        return sq;
    }

    /// <summary>‖x_r − a_j‖² in float64 for the first rows of x.</summary>
    private static double[] ReferenceDistances(float[] x, float[] anchors, int rows, int a, int d)
    {
        var dist = new double[rows * a];
        Parallel.For(0, rows, r =>
        {
            for (int j = 0; j < a; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++)
                {
                    double v = (double)x[(long)r * d + k] - anchors[(long)j * d + k];
                    s += v * v;
                }
                dist[r * a + j] = s;
            }
        });
        return dist;
    }

    /// <summary>Each row's <see cref="CheckedNeighbours"/> nearest anchors (ties to the lower index) as a set.</summary>
    private static HashSet<int>[] Nearest(float[] dist, int rows, int a) =>
        Enumerable.Range(0, rows).AsParallel().AsOrdered().Select(r => Enumerable.Range(0, a).OrderBy(j => dist[r * a + j]).ThenBy(j => j).Take(CheckedNeighbours).ToHashSet()).ToArray();
}
