// GpuCheckClassic: gpu-check's breakdown of the classic extension's kernels on one chunk (distance tile, RBF weights, K-split product, slice sums) against the whole IlgpuNystrom.PropagateAll.
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Backends;
using NcutKernels.Kernels;
using NcutKernels.Spectral;

namespace NcutKernels.Benchmarks;

public static partial class GpuCheck
{
    /// <summary>
    /// Each kernel of the all-landmark propagation timed alone on rows = 65472 (÷ div; the slice sums' grid holds ≤ 65535 rows) × 10240 landmarks, d = 768, k + 1 = 21
    /// value columns (device-resident, median of 5 after a warm-up), then <see cref="IlgpuNystrom.PropagateAll"/> on the
    /// same rows: what the classic extension's time at 10⁵–10⁶ points is made of.
    /// </summary>
    private static void ClassicPieces(RawCuda cuda, int div)
    {
        Line("\n## Classic extension, one chunk: its kernels alone and the whole PropagateAll (device-resident, median of 5 after a warm-up)");
        if (CudaOrSkip(cuda) is not { } acc)
            return;
        int rows = 65472 / div, a = 10240 / div, d = 768, width = 21, sliceLen = IlgpuNystrom.SliceAnchors, slices = (a + sliceLen - 1) / sliceLen;
        var x = BenchData.Uniform(rows, d, 31);
        var landmarks = BenchData.Uniform(a, d, 32);
        var (centre, ac, asq) = CentredAnchors(landmarks, a, d);
        using var xBuf = acc.Allocate1D(x);
        using var lBuf = acc.Allocate1D(landmarks);
        using var centreBuf = acc.Allocate1D(centre);
        using var acBuf = acc.Allocate1D(ac);
        using var asqBuf = acc.Allocate1D(asq);
        using var xsqBuf = acc.Allocate1D(CentredNorms(x, rows, d, centre));
        using var values = acc.Allocate1D(BenchData.Normal(a, width, 33));
        using var dist = acc.Allocate1D<float>((long)rows * a);
        using var part = acc.Allocate1D<float>((long)slices * rows * width);
        using var output = acc.Allocate1D<float>((long)rows * width);
        var tile = new IlgpuDistanceTile(acc);
        var weights = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(PropagationKernels.RbfWeights);
        var product = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(BlasKernels.ProductPartial);
        var sum = acc.LoadAutoGroupedStreamKernel<Index2D, ArrayView<float>, ArrayView<float>, int, int, int, float>(PropagationKernels.SumSlices);
        var grid = new Index3D((width + Tile8x8.Edge - 1) / Tile8x8.Edge, (rows + Tile8x8.Edge - 1) / Tile8x8.Edge, slices);
        double flop = 2.0 * rows * a;
        Line("| piece | median ms | min ms | notes |\n|---|---|---|---|");
        void Piece(string what, Action launch, string notes)
        {
            var t = Time(5, () => { launch(); acc.Synchronize(); });
            Row(what, t, notes);
        }
        Piece($"distance tile 3xTF32, {rows}×{a}", () => tile.Launch(xBuf.View, centreBuf.View, xsqBuf.View, acBuf.View, asqBuf.View, dist.View, rows, a, d, DistancePrecision.Tf32x3),
            $"{flop * d / 1e12:F2} TFLOP");
        Piece("RBF weights in place", () => weights((int)((long)rows * a), dist.View, 1e-3f), $"{(long)rows * a * 8 / 1e9:F1} GB read + written");
        Piece($"K-split product weights·values ({slices} slices, 128-wide column tile for {width} columns)",
            () => product(new KernelConfig(grid, new Index3D(Tile8x8.Threads, Tile8x8.Threads, 1)), dist.View, values.View, part.View, rows, a, width, sliceLen),
            $"{flop * width / 1e12:F3} TFLOP useful, {flop * Tile8x8.Edge / 1e12:F2} computed");
        Piece("slice sums", () => sum(new Index2D(width, rows), part.View, output.View, rows, width, slices, 1f / a), "");
        using var nystrom = new IlgpuNystrom(acc);
        var ones = Enumerable.Repeat(1f, a).ToArray();
        Piece("whole PropagateAll (chunks of ≤ 2²⁶ distances, anchor prep, sync)", () => nystrom.PropagateAll(xBuf.View, rows, d, lBuf.View, a, values.View, width, ones, 8f, output.View),
            "what the classic extension pays per 65536 rows");
    }
}
