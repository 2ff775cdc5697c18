// IlgpuBackendGradient: the fused affinity (RBF or cosine) + normalization backward on an ILGPU accelerator (Gram or direct-difference form), with its host staging.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Core;
using NcutKernels.Kernels;
using NcutKernels.Runtime;

namespace NcutKernels.Backends.Ilgpu;

internal sealed partial class IlgpuBackend
{
    /// <summary>
    /// Pass 1 on the device (the block product Z = W·(s∘B) and <see cref="NcutBackwardKernels.DegreeAdjoint"/>), pass 2 as
    /// the S tile kernel, row sums, the K-split product S·X and the accumulate kernel; the result is downloaded once and
    /// added to gx, per adjoint. Device memory: S (n²; for several cosine adjoints the shared slope matrix beside it; freed on return), and in grow-only scratch kept for the next call 2 + slices n×d
    /// planes and O(n·k) vectors (with host staging arrays of the same sizes).
    /// </summary>
    protected override void AccumulateEmbeddingGradientsCore<T>(AffinityKind kind, Block<T> x, DeviceMatrix<T> w, double[] degrees, IReadOnlyList<double[]> ys,
        double[] u, double sigma, IReadOnlyList<double[]> gxs, IReadOnlyList<int[]?> rows)
    {
        // S for one adjoint at a time in one n×n scratch. The cosine slope matrix does not depend on the adjoint: for one it is
        // computed into that scratch and S overwrites it; for several it is computed once beside it.
        using var sMat = _resources.Allocate<float>((long)x.Rows * x.Rows);
        using var shared = kind == AffinityKind.Cosine && ys.Count > 1 ? _resources.Allocate<float>((long)x.Rows * x.Rows) : null;
        if (shared is not null)
            AffinityTiles(F(x), x.Rows, x.Cols, kind, KernelAffinity.CosineSlope, 1 / (2 * sigma * sigma), shared.View);
        for (int c = 0; c < ys.Count; c++)
            AccumulateOne(kind, x, w, degrees, ys[c], u, sigma, gxs[c], rows[c], sMat.View, shared?.View);
    }

    /// <summary>
    /// One adjoint's fused backward (see <see cref="AccumulateEmbeddingGradientsCore{T}"/>) with S in <paramref name="sMat"/> (n×n);
    /// <paramref name="slope"/>: the cosine slope matrix when computed already (null: computed into sMat). Only <paramref name="rows"/>
    /// of gx change when given.
    /// </summary>
    private void AccumulateOne<T>(AffinityKind kind, Block<T> x, DeviceMatrix<T> w, double[] degrees, double[] y, double[] u, double sigma, double[] gx, int[]? rows,
        ArrayView<float> sMat, ArrayView<float>? slope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = CheckEmbeddingGradient(x, w, degrees, y, u, gx);
        int n = x.Rows, d = x.Cols, width = 2 * k;
        var xv = F(x);
        var wv = Float(w);
        // Host: the factors of M̄ = A·Bᵀ (rows a_i = ½[y_i, u_i], b_i = [u_i, y_i]), s = d^-1/2 and −d^(−3/2) (0 where the
        // degree was clamped), as float32, rows in parallel.
        long nw = (long)n * width;
        var staged = Staging(ref _stagedHost, 2 * nw + 2 * n);
        Parallel.For(0, (n + HostRows - 1) / HostRows, ch =>
        {
            for (int i = ch * HostRows, end = Math.Min(n, i + HostRows); i < end; i++)
            {
                for (int c = 0; c < k; c++)
                {
                    double yc = y[i * k + c], uc = u[i * k + c];
                    staged[i * width + c] = (float)(0.5 * yc);
                    staged[i * width + k + c] = (float)(0.5 * uc);
                    staged[nw + i * width + c] = (float)uc;
                    staged[nw + i * width + k + c] = (float)yc;
                }
                double di = degrees[i];
                staged[2 * nw + i] = (float)(1 / Math.Sqrt(Math.Max(di, AffinityMath.DegreeFloor)));
                staged[2 * nw + n + i] = di > AffinityMath.DegreeFloor ? (float)-Math.Pow(di, -1.5) : 0f;
            }
        });
        // One small scratch: the staged a, b, s, −d^(−3/2), then s∘Bᵀ and Z (width×n each), d̄, the row sums of S, the column means of X.
        long o = 2 * nw + 2L * n; // the staged part (the host array may be longer: it only grows)
        var all = _resources.Scratch<float>(ScratchSlot.Embedding, o + 2 * nw + 2L * n + d);
        all.SubView(0, o).CopyFromCPU(staged.AsSpan(0, (int)o));
        var (av, bv, sv, dScale) = (all.SubView(0, nw), all.SubView(nw, nw), all.SubView(2 * nw, n), all.SubView(2 * nw + n, n));
        var (sb, z) = (all.SubView(o, nw), all.SubView(o + nw, nw));
        var (dBar, rowSums, mean) = (all.SubView(o + 2 * nw, n), all.SubView(o + 2 * nw + n, n), all.SubView(o + 2 * nw + 2 * n, d));

        // Pass 1: z = W·(s∘B) (width vectors), d̄_i = −d_i^(−3/2)·a_i·z_i.
        _kernels.ScaledTranspose(new Index2D(n, width), bv, sv, sb, n, width);
        SymmetricProduct(wv, sb, z, n, width);
        _kernels.DegreeAdjoint(n, av, z, dScale, dBar, n, width);

        // Pass 2: S on W, or for cosine on the slope matrix (computed into sMat first unless given), then by kind.
        int tiles = (n + Tile8x8.Edge - 1) / Tile8x8.Edge;
        var group = new Index3D(Tile8x8.Threads, Tile8x8.Threads, 1);
        if (kind == AffinityKind.Cosine && slope is null)
            AffinityTiles(xv, n, d, kind, KernelAffinity.CosineSlope, 1 / (2 * sigma * sigma), sMat);
        _kernels.AdjointAffinityTile(new KernelConfig(new Index3D(tiles, tiles, 1), group), av, bv, sv, dBar,
            kind == AffinityKind.Cosine ? slope ?? sMat : wv, sMat, n, width);
        var result = Staging(ref _resultHost, (long)n * d);
        if (kind == AffinityKind.Cosine)
            CosineFeatureGradient(xv, sMat, n, d, result);
        else
            RbfFeatureGradient(xv, sMat, mean, rowSums, n, d, sigma, result);
        if (rows is null)
            AddInto(gx, result, n, d);
        else
            foreach (int i in rows)
                for (int c = 0; c < d; c++)
                    gx[(long)i * d + c] += result[(long)i * d + c];
    }

    /// <summary>RBF: X̄ = −(1/σ²)·(rowsum(S)·X − S·X) (X centred), or from the direct differences; into <paramref name="result"/> (n×d).</summary>
    private void RbfFeatureGradient(ArrayView<float> xv, ArrayView<float> sMat, ArrayView<float> mean, ArrayView<float> rowSums, int n, int d, double sigma,
        float[] result)
    {
        int tiles = (n + Tile8x8.Edge - 1) / Tile8x8.Edge, colTiles = (d + Tile8x8.Edge - 1) / Tile8x8.Edge;
        var group = new Index3D(Tile8x8.Threads, Tile8x8.Threads, 1);
        float inv = (float)(1 / (sigma * sigma));
        if (DirectFeatureGradient(xv, mean, n, d, sigma))
        {
            // X far from itself relative to σ: the differences x_i − x_j, as the managed twin (RbfFeatureRows) takes them.
            var gd = _resources.Scratch<float>(ScratchSlot.Features, (long)n * d);
            gd.MemSetToZero();
            foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
                _kernels.AccumulateFeatureGradientDirect(extent, xv, sMat, gd, n, d, row0, inv);
            gd.CopyToCPU(result.AsSpan(0, n * d));
            return;
        }
        RowSums(sMat, rowSums, n);

        var (slices, sliceLen) = ProductSlices(n, tiles * colTiles);
        long plane = (long)n * d;
        var features = _resources.Scratch<float>(ScratchSlot.Features, (2 + slices) * plane);
        var xc = features.SubView(0, plane);
        var g = features.SubView(plane, plane);
        var part = features.SubView(2 * plane, slices * plane);
        CenterColumns(xv, mean, xc, n, d);
        _kernels.ProductPartial(new KernelConfig(new Index3D(colTiles, tiles, slices), group), sMat, xc, part, n, n, d, sliceLen);
        g.MemSetToZero();
        foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
            _kernels.AccumulateFeatureGradient(extent, xc, rowSums, part, g, n, d, slices, row0, inv);
        g.CopyToCPU(result.AsSpan(0, (int)plane));
    }

    /// <summary>Cosine: X̂̄ = S·X̂ split over K, then x̄_i = (x̂̄_i − (x̂_i·x̂̄_i)·x̂_i)/‖x_i‖; into <paramref name="result"/> (n×d).</summary>
    private void CosineFeatureGradient(ArrayView<float> xv, ArrayView<float> sMat, int n, int d, float[] result)
    {
        int tiles = (n + Tile8x8.Edge - 1) / Tile8x8.Edge, colTiles = (d + Tile8x8.Edge - 1) / Tile8x8.Edge;
        var group = new Index3D(Tile8x8.Threads, Tile8x8.Threads, 1);
        var (slices, sliceLen) = ProductSlices(n, tiles * colTiles);
        long plane = (long)n * d;
        var features = _resources.Scratch<float>(ScratchSlot.Features, (2 + slices) * plane + n);
        var (xh, g, part, sq) = (features.SubView(0, plane), features.SubView(plane, plane), features.SubView(2 * plane, slices * plane),
            features.SubView((2 + slices) * plane, n));
        _kernels.RowSquaredNorms(n, xv, sq, d);
        foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
            _kernels.NormalizeRows(extent, xv, sq, xh, d, row0, (float)AffinityMath.CosineNormFloor);
        _kernels.ProductPartial(new KernelConfig(new Index3D(colTiles, tiles, slices), group), sMat, xh, part, n, n, d, sliceLen);
        g.MemSetToZero();
        _kernels.AccumulateCosineFeatureGradient(n, xh, sq, part, g, n, d, slices, (float)AffinityMath.CosineNormFloor);
        g.CopyToCPU(result.AsSpan(0, (int)plane));
    }

    /// <summary>The K-split of S·X over n: enough slices to give every multiprocessor about four groups beside <paramref name="tiles"/> output tiles.</summary>
    private (int Slices, int SliceLength) ProductSlices(int n, int tiles)
    {
        int steps = (n + Tile8x8.Depth - 1) / Tile8x8.Depth;
        int slices = Math.Clamp(4 * _acc.NumMultiprocessors / tiles, 1, steps);
        int sliceLen = (steps + slices - 1) / slices * Tile8x8.Depth;
        return ((n + sliceLen - 1) / sliceLen, sliceLen);
    }

    /// <summary>
    /// Whether the feature gradient takes direct differences: the forward's rule (<see cref="AffinityMath.UsesDirectDifferences"/>)
    /// on the squared norms of x centred by <paramref name="mean"/> (computed into the <see cref="ScratchSlot.Features"/> scratch).
    /// </summary>
    private bool DirectFeatureGradient(ArrayView<float> x, ArrayView<float> mean, int n, int d, double sigma)
    {
        var xc = _resources.Scratch<float>(ScratchSlot.Features, (long)n * d + n);
        CenterColumns(x, mean, xc.SubView(0, (long)n * d), n, d);
        _kernels.RowSquaredNorms(n, xc.SubView(0, (long)n * d), xc.SubView((long)n * d, n), d);
        return AffinityMath.UsesDirectDifferences(AffinityKind.Rbf, MaxOf(xc.SubView((long)n * d, n)), 1 / (2 * sigma * sigma));
    }

    /// <summary>gx[e] += result[e] over the n·d plane, row chunks in parallel.</summary>
    private static void AddInto(double[] gx, float[] result, int n, int d)
    {
        long plane = (long)n * d;
        Parallel.For(0, (n + HostRows - 1) / HostRows, ch =>
        {
            for (long e = (long)ch * HostRows * d, end = Math.Min(plane, e + (long)HostRows * d); e < end; e++)
                gx[e] += result[e];
        });
    }

    /// <summary>Rows per parallel chunk of the host staging loops.</summary>
    private const int HostRows = 512;

    private float[]? _stagedHost, _resultHost;

    /// <summary>A host array of at least <paramref name="length"/> elements, kept for the next call (contents undefined).</summary>
    private static float[] Staging(ref float[]? array, long length)
    {
        if (array is null || array.LongLength < length)
            array = GC.AllocateUninitializedArray<float>(checked((int)length));
        return array;
    }
}
