// IlgpuBackendDense: the dense n×n primitives on an ILGPU accelerator — affinity (Gram or direct-difference tiles), row sums, normalization, block products, inner products, combinations.
using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Core;
using NcutKernels.Kernels;
using NcutKernels.Runtime;

namespace NcutKernels.Backends.Ilgpu;

internal sealed partial class IlgpuBackend
{

    protected override void AffinityCore<T>(Block<T> x, DeviceMatrix<T> w, AffinityKind kind, double scale)
    {
        CheckSquare(w, x.Rows, nameof(w));
        AffinityTiles(F(x), x.Rows, x.Cols, kind, KernelCode(kind), scale, Float(w));
    }

    /// <summary>
    /// The n×n tile pass of the affinity of <paramref name="kind"/> over x (n×d) into <paramref name="output"/>, with the kernels'
    /// epilogue <paramref name="kindCode"/> (the affinity itself, or <see cref="KernelAffinity.CosineSlope"/> for the cosine backward):
    /// RBF rows centred, cosine rows made unit, Gram or direct-difference tiles by the forward's rule. Synchronizes.
    /// </summary>
    private void AffinityTiles(ArrayView<float> xv, int n, int d, AffinityKind kind, int kindCode, double scale, ArrayView<float> output)
    {
        using var sq = _acc.Allocate1D<float>(n);
        using var prepared = _acc.Allocate1D<float>((long)n * d);
        if (kind == AffinityKind.Rbf)
        {
            // Distances do not change under translation; centring keeps ‖x‖² + ‖y‖² − 2x·y from cancelling.
            using var mean = _acc.Allocate1D<float>(d);
            CenterColumns(xv, mean.View, prepared.View, n, d);
            _acc.Synchronize();
        }
        _kernels.RowSquaredNorms(n, kind == AffinityKind.Rbf ? prepared.View : xv, sq.View, d);
        bool direct = AffinityMath.UsesDirectDifferences(kind, kind == AffinityKind.Rbf ? MaxOf(sq.View) : 0, scale);
        if (kind == AffinityKind.Cosine)
        {
            foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
                _kernels.NormalizeRows(extent, xv, sq.View, prepared.View, d, row0, (float)AffinityMath.CosineNormFloor);
        }
        // Direct RBF differences need no centring and keep the resolution of the features as given.
        if (kind == AffinityKind.Cosine || !direct)
            xv = prepared.View;
        int g = (n + TileGeometry.Edge - 1) / TileGeometry.Edge;
        var config = new KernelConfig(new Index2D(g, g), new Index2D(TileGeometry.Threads, TileGeometry.Threads));
        if (direct)
        {
            _kernels.DistanceAffinityTile(config, xv, sq.View, output, n, d, kindCode, (float)scale, (float)AffinityMath.CosineFloor,
                (float)(AffinityMath.CosineNormFloor * AffinityMath.CosineNormFloor));
        }
        else
        {
            _kernels.AffinityTile(config, xv, sq.View, output, n, d, kindCode, (float)scale, (float)AffinityMath.CosineFloor);
        }
        _acc.Synchronize();
    }


    /// <summary>The largest element of a device vector (copied to the host: n floats, beside the n² work that follows).</summary>
    private static double MaxOf(ArrayView<float> v)
    {
        var host = new float[v.Length];
        v.CopyToCPU(host);
        return host.Length == 0 ? 0 : host.Max();
    }

    /// <summary>xc = x − column means of x (n×d); mean (d) is scratch.</summary>
    private void CenterColumns(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> xc, int n, int d)
    {
        _kernels.ColumnMeans(new KernelConfig((d + AffinityKernels.MeanColumns - 1) / AffinityKernels.MeanColumns, AffinityKernels.MeanGroup), x, mean, n, d);
        foreach (var (extent, row0) in RowBands.Of(d, n, _gridRows))
            _kernels.SubtractMeans(extent, x, mean, xc, d, row0);
    }

    protected override void RowSumsCore<T>(DeviceMatrix<T> w, Block<T> sums) => RowSums(Float(w), F(sums), w.Cols);

    /// <summary>sums[i] = Σ_j w[i, j] for w (n×n).</summary>
    private void RowSums(ArrayView<float> w, ArrayView<float> sums, int n)
    {
        int ws = _acc.WarpSize, group = Math.Min(256, _acc.MaxNumThreadsPerGroup / ws * ws), perGroup = group / ws;
        _kernels.RowSumsWarp(new KernelConfig((n + perGroup - 1) / perGroup, group), w, sums, n);
    }

    protected override void NormalizeCore<T>(DeviceMatrix<T> w, Block<T> degrees, double shift)
    {
        int n = w.Cols;
        using var s = _acc.Allocate1D<float>(n);
        _kernels.InvSqrt(n, F(degrees), s.View, (float)AffinityMath.DegreeFloor);
        foreach (var (extent, row0) in RowBands.Of(n, n, _gridRows))
            _kernels.Normalize(extent, Float(w), s.View, n, row0, (float)shift);
        _acc.Synchronize();
    }

    protected override void SymmetricProductCore<T>(DeviceMatrix<T> m, Block<T> v, Block<T> y)
    {
        CheckSameCols(v, y, nameof(SymmetricProduct));
        SymmetricProduct(Float(m), F(v), F(y), m.Cols, v.Rows);
        _acc.Synchronize();
    }

    /// <summary>y (b×n) = (m·vᵀ)ᵀ for symmetric m (n×n) and v (b×n), queued (no synchronization).</summary>
    private void SymmetricProduct(ArrayView<float> mv, ArrayView<float> vv, ArrayView<float> yv, int n, int b)
    {
        int colGroups = (n + BlasKernels.ColumnsPerGroup - 1) / BlasKernels.ColumnsPerGroup;
        int wanted = Math.Max(1, 4 * _acc.NumMultiprocessors / colGroups);
        int steps = (n + BlasKernels.StepRows - 1) / BlasKernels.StepRows;
        int sliceLen = (steps + Math.Min(wanted, steps) - 1) / Math.Min(wanted, steps) * BlasKernels.StepRows;
        int slices = (n + sliceLen - 1) / sliceLen;
        var part = _resources.Scratch<float>(ScratchSlot.Partials, (long)slices * BlasKernels.Panel * n);
        for (int c0 = 0; c0 < b; c0 += BlasKernels.Panel)
        {
            int cols = Math.Min(BlasKernels.Panel, b - c0);
            _kernels.SymmetricProductPartial(new KernelConfig(new Index2D(colGroups, slices), new Index2D(BlasKernels.ProductGroup, 1)), mv, vv, part, n, b, c0, sliceLen);
            _kernels.ReduceSlices(new Index2D(n, cols), part, yv, n, c0, slices);
        }
    }

    protected override double[,] InnerProductsCore<T>(Block<T> a, Block<T> b)
    {
        CheckSameCols(a, b, nameof(InnerProducts));
        int p = a.Rows, q = b.Rows, n = a.Cols;
        var g = _resources.Scratch<double>(ScratchSlot.Dots, (long)p * q);
        _kernels.InnerProducts(new KernelConfig(new Index2D(q, p), new Index2D(BlasKernels.DotGroup, 1)), F(a), F(b), g, n, q);
        var flat = new double[p * q];
        g.CopyToCPU(flat);
        var result = new double[p, q];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    protected override void CombineCore<T>(Block<T> dst, double beta, Block<T> a, double[,] s)
    {
        CheckSameCols(dst, a, nameof(Combine));
        int p = a.Rows, q = dst.Rows, n = dst.Cols;
        CheckCoefficients(s, p, q);
        var coef = new float[p * q];
        for (int r = 0; r < p; r++)
            for (int c = 0; c < q; c++)
                coef[r * q + c] = (float)s[r, c];
        var cb = _resources.Scratch<float>(ScratchSlot.Coefficients, coef.Length);
        cb.CopyFromCPU(coef);
        _kernels.Combine(new Index2D(n, q), F(dst), F(a), cb, n, p, q, (float)beta);
        _acc.Synchronize();
    }
}
