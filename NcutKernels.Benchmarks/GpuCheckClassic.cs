// GpuCheckClassic: gpu-check's breakdown of the classic extension's kernels on one chunk (anchor column means, distance tile, the fused RBF-weighted product) against the whole IlgpuNystrom.PropagateAll, and a check of the fused product against float64.
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
    /// <summary>
    /// Each kernel of the all-landmark propagation timed alone on rows = 65536 (÷ div) × 10240 landmarks, d = 768, k + 1 = 21
    /// value columns (device-resident, median of 5 after a warm-up), then <see cref="IlgpuNystrom.PropagateAll"/> on the
    /// same rows: what the classic extension's time at 10⁵–10⁶ points is made of. The fused product's output for a few
    /// rows is checked against float64 sums over the same distances.
    /// </summary>
    private static void ClassicPieces(RawCuda cuda, int div, Action<string, bool, string> check)
    {
        Line("\n## Classic extension, one chunk: its kernels alone and the whole PropagateAll (device-resident, median of 5 after a warm-up)");
        if (CudaOrSkip(cuda) is not { } acc)
            return;
        int rows = 65536 / div, a = 10240 / div, d = 768, width = 21;
        const float sigma = 8f;
        float scale = 1f / (2 * sigma * sigma), inv = 1f / a;
        var x = BenchData.Uniform(rows, d, 31);
        var landmarks = BenchData.Uniform(a, d, 32);
        var valuesHost = BenchData.Normal(a, width, 33);
        var (centre, ac, asq) = CentredAnchors(landmarks, a, d);
        using var xBuf = acc.Allocate1D(x);
        using var lBuf = acc.Allocate1D(landmarks);
        using var centreBuf = acc.Allocate1D(centre);
        using var acBuf = acc.Allocate1D(ac);
        using var asqBuf = acc.Allocate1D(asq);
        using var xsqBuf = acc.Allocate1D(CentredNorms(x, rows, d, centre));
        using var values = acc.Allocate1D(valuesHost);
        using var dist = acc.Allocate1D<float>((long)rows * a);
        using var output = acc.Allocate1D<float>((long)rows * width);
        using var means = acc.Allocate1D<float>(d);
        using var resources = new IlgpuResources(acc);
        var tile = new IlgpuDistanceTile(resources);
        var columnMeans = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(AffinityKernels.ColumnMeans);
        var weightedSums = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>(SkinnyProduct.RbfWeightedSums);
        int groups = SkinnyProduct.Groups(rows, width);
        double flop = 2.0 * rows * a;
        Line("| piece | median ms | min ms | notes |\n|---|---|---|---|");
        void Piece(string what, Action launch, string notes)
        {
            var t = Time(5, () => { launch(); acc.Synchronize(); });
            Row(what, t, notes);
        }
        Piece($"anchor column means, {a}×{d}", () => columnMeans(new KernelConfig((d + AffinityKernels.MeanColumns - 1) / AffinityKernels.MeanColumns, AffinityKernels.MeanGroup),
            lBuf.View, means.View, a, d), $"{(long)a * d * 4 / 1e6:F1} MB read; once per PropagateAll call");
        Piece($"distance tile 3xTF32, {rows}×{a}", () => tile.Launch(xBuf.View, centreBuf.View, xsqBuf.View, acBuf.View, asqBuf.View, dist.View, rows, a, d, DistancePrecision.Tf32x3),
            $"{flop * d / 1e12:F2} TFLOP");
        Piece($"fused RBF weights · values ({groups} groups of {SkinnyProduct.Rows} rows × {SkinnyProduct.Cols} columns for {width} columns)",
            () => weightedSums(new KernelConfig(groups, SkinnyProduct.Threads), dist.View, values.View, output.View, rows, a, width, scale, inv),
            $"{(long)rows * a * 4 / 1e9:F2} GB of distances read once; {flop * width / 1e12:F3} TFLOP useful, {flop * SkinnyProduct.Cols / 1e12:F3} computed");
        // The product against float64 sums of the same distances, on the first two, a middle and the last row (several row
        // blocks, the ragged column tile): |Δ| ≤ 3e-5·inv·Σ_j |w_ij·v_jc|, the worst case of the two-level float32 sum
        // ((31 + a/32) units of 2⁻²⁴ ≈ 2.1e-5 at a = 10240) plus a few units for each weight; typical errors are ~1e-6.
        var got = output.GetAsArray1D();
        double worst = 0;
        foreach (int r in new[] { 0, 1, rows / 2 + 37, rows - 1 })
        {
            var row = new float[a];
            dist.View.SubView((long)r * a, a).CopyToCPU(row);
            for (int c = 0; c < width; c++)
            {
                double s = 0, magnitude = 0;
                for (int j = 0; j < a; j++)
                {
                    double term = Math.Exp(-(double)row[j] * scale) * valuesHost[j * width + c];
                    s += term;
                    magnitude += Math.Abs(term);
                }
                worst = Math.Max(worst, Math.Abs(got[(long)r * width + c] - s * inv) / (magnitude * inv));
            }
        }
        check($"fused RBF-weighted product {rows}×{a}·{a}×{width} vs float64 (4 rows)", worst <= 3e-5, $"max |Δ| / (inv·Σ|w·v|) = {worst:E2}");
        var nystrom = new IlgpuNystrom(resources);
        var ones = Enumerable.Repeat(1f, a).ToArray();
        Piece("whole PropagateAll (chunks of ≤ 2²⁶ distances, anchor prep, sync)", () => nystrom.PropagateAll(xBuf.View, rows, d, lBuf.View, a, values.View, width, ones, sigma, output.View),
            $"what the classic extension pays per {rows} rows");
    }
}
