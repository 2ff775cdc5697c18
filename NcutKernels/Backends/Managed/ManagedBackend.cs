// ManagedBackend: the CPU twins of every kernel (Parallel.For over fixed partitions + SIMD); = outputs, deterministic.
using System.Numerics;
using System.Runtime.CompilerServices;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Backends.Managed;

/// <summary>
/// Managed CPU implementation of <see cref="Backend"/> for float32 and float64. Work is split
/// into fixed partitions and every reduction runs in a fixed order, so results are bit-identical
/// from run to run on the same machine. It keeps no state between calls (every buffer is the caller's or the call's own),
/// so calls from several threads run concurrently, unserialized.
/// </summary>
internal sealed class ManagedBackend() : Backend(serialized: false)
{
    private const int Tile = 64;
    private const int Chunk = 4096;

    protected override DeviceStorage<T> AllocateCore<T>(long length)
    {
        if (length > Array.MaxLength)
            throw new InsufficientMemoryException($"The managed CPU backend holds at most {Array.MaxLength} elements per buffer; {length} were asked for.");
        return new ManagedStorage<T>(length);
    }

    private static Span<T> Data<T>(Block<T> b) where T : unmanaged, IFloatingPointIeee754<T> =>
        ((ManagedStorage<T>)b.Matrix.Storage).Array.AsSpan((int)b.Offset, (int)b.Length);

    private static T[] Data<T>(DeviceMatrix<T> m) where T : unmanaged, IFloatingPointIeee754<T> =>
        ((ManagedStorage<T>)m.Storage).Array;

    protected override void AffinityCore<T>(Block<T> x, DeviceMatrix<T> w, AffinityKind kind, double scale)
    {
        int n = x.Rows, d = x.Cols;
        T[] xs = Data(x).ToArray();
        if (kind == AffinityKind.Rbf)
            CenterColumns(xs, n, d);
        var sq = new T[n];
        for (int i = 0; i < n; i++)
            sq[i] = SimdMath.Dot<T>(xs.AsSpan(i * d, d), xs.AsSpan(i * d, d));
        bool direct = AffinityMath.UsesDirectDifferences(kind, double.CreateChecked(sq.Max()), scale);
        if (kind == AffinityKind.Cosine)
        {
            for (int i = 0; i < n; i++)
            {
                var row = xs.AsSpan(i * d, d);
                SimdMath.Scale(row, T.One / T.Max(T.Sqrt(sq[i]), T.CreateChecked(AffinityMath.CosineNormFloor)));
            }
        }
        else if (direct)
            xs = Data(x).ToArray(); // differences need no centring, and keep the resolution of the features as given
        T[] ws = Data(w);
        T s = T.CreateChecked(scale);
        if (!direct)
        {
            Gram(xs, n, d, ws);
            Parallel.For(0, n, i => AffinityRow(ws.AsSpan(i * n, n), i, sq, kind, s));
            return;
        }
        SquaredDistances(xs, n, d, ws);
        if (kind == AffinityKind.Rbf)
        {
            Parallel.For(0, n, i =>
            {
                SimdMath.ExpScaled<T>(ws.AsSpan(i * n, n), -s, ws.AsSpan(i * n, n));
                ws[i * n + i] = T.One; // as the Gram path (Vector.Exp(0) may round to 1 + ulp)
            });
            return;
        }
        var gap = Array.ConvertAll(sq, AffinityMath.CosineGap);
        T floor = T.CreateChecked(AffinityMath.CosineFloor);
        Parallel.For(0, n, i => SimdMath.CosineFromDistances<T>(ws.AsSpan(i * n, n), gap, gap[i], s, floor));
    }

    /// <summary>Turns row i of the Gram matrix into affinities (same formula as the GPU epilogue).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AffinityRow<T>(Span<T> row, int i, T[] sq, AffinityKind kind, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == AffinityKind.Rbf)
        {
            SimdMath.RbfRow<T>(row, sq, sq[i], scale);
            row[i] = T.One;
        }
        else
        {
            SimdMath.CosineRow<T>(row, row, scale, T.CreateChecked(AffinityMath.CosineFloor));
        }
    }

    /// <summary>g (n×n) = X·Xᵀ for row-major x (n×d): upper-triangle tiles in parallel, mirrored (exactly symmetric).</summary>
    internal static void Gram<T>(T[] xs, int n, int d, T[] g) where T : unmanaged, IFloatingPointIeee754<T> =>
        PairTiles(n, g, (i0, i1, j0, j1) => GramTile(xs, d, g, n, i0, i1, j0, j1, SimdKernels.Dot4x2));

    /// <summary>g (n×n) = ‖x_i − x_j‖² for row-major x (n×d), from the differences: tiled and mirrored as <see cref="Gram{T}"/>.</summary>
    internal static void SquaredDistances<T>(T[] xs, int n, int d, T[] g) where T : unmanaged, IFloatingPointIeee754<T> =>
        PairTiles(n, g, (i0, i1, j0, j1) => GramTile(xs, d, g, n, i0, i1, j0, j1, SimdKernels.DistanceSquares4x2));

    /// <summary>Runs <paramref name="tile"/> on the upper-triangle tiles of an n×n matrix g in parallel and mirrors them.</summary>
    private static void PairTiles<T>(int n, T[] g, Action<int, int, int, int> tile)
    {
        int nb = (n + Tile - 1) / Tile;
        var pairs = new List<(int, int)>(nb * (nb + 1) / 2);
        for (int bi = 0; bi < nb; bi++)
            for (int bj = bi; bj < nb; bj++)
                pairs.Add((bi, bj));
        Parallel.For(0, pairs.Count, p =>
        {
            var (bi, bj) = pairs[p];
            int i0 = bi * Tile, i1 = Math.Min(n, i0 + Tile), j0 = bj * Tile, j1 = Math.Min(n, j0 + Tile);
            tile(i0, i1, j0, j1);
            if (bi != bj)
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < j1; j++)
                        g[j * n + i] = g[i * n + j];
        });
    }

    /// <summary>Subtracts the column means (float64): distances are unchanged and ‖x‖² + ‖y‖² − 2x·y cancels far less.</summary>
    internal static void CenterColumns<T>(T[] xs, int n, int d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var mean = new double[d];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++)
                mean[k] += double.CreateChecked(xs[i * d + k]);
        var m = mean.Select(v => T.CreateChecked(v / n)).ToArray();
        for (int i = 0; i < n; i++)
            SimdMath.Subtract<T>(xs.AsSpan(i * d, d), m);
    }

    /// <summary>A 4-row × 2-row pair kernel: <see cref="SimdKernels.Dot4x2{T}"/> or <see cref="SimdKernels.DistanceSquares4x2{T}"/>.</summary>
    internal delegate void PairKernel<T>(T[] a, int a0, int a1, int a2, int a3, T[] b, int b0, int b1, int length, Span<T> results);

    /// <summary>
    /// w[i, j] = kernel(x_i, x_j) for i in [i0, i1), j in [j0, j1): blocks of 4 rows × 2 rows through <paramref name="kernel"/>
    /// (dot products or squared distances); ragged edges repeat the last row (same values, written twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GramTile<T>(T[] xs, int d, T[] w, int n, int i0, int i1, int j0, int j1, PairKernel<T> kernel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> dots = stackalloc T[8];
        Span<int> rows = stackalloc int[4];
        for (int i = i0; i < i1; i += 4)
        {
            for (int r = 0; r < 4; r++)
                rows[r] = Math.Min(i + r, i1 - 1);
            for (int j = j0; j < j1; j += 2)
            {
                int ja = j, jb = Math.Min(j + 1, j1 - 1);
                kernel(xs, rows[0] * d, rows[1] * d, rows[2] * d, rows[3] * d, xs, ja * d, jb * d, d, dots);
                for (int r = 0; r < 4; r++)
                {
                    w[rows[r] * n + ja] = dots[2 * r];
                    w[rows[r] * n + jb] = dots[2 * r + 1];
                }
            }
        }
    }

    protected override void RowSumsCore<T>(DeviceMatrix<T> w, Block<T> sums)
    {
        int n = w.Cols;
        T[] ws = Data(w);
        T[] outp = ((ManagedStorage<T>)sums.Matrix.Storage).Array;
        int o = (int)sums.Offset;
        Parallel.For(0, w.Rows, i => outp[o + i] = T.CreateTruncating(SimdMath.WideSum<T>(ws.AsSpan(i * n, n))));
    }

    protected override void NormalizeCore<T>(DeviceMatrix<T> w, Block<T> degrees, double shift)
    {
        int n = w.Cols;
        T[] ws = Data(w);
        var s = Data(degrees).ToArray();
        for (int i = 0; i < s.Length; i++)
            s[i] = T.One / T.Sqrt(T.Max(s[i], T.CreateChecked(AffinityMath.DegreeFloor)));
        T sh = T.CreateChecked(shift);
        Parallel.For(0, n, i =>
        {
            var row = ws.AsSpan(i * n, n);
            SimdMath.ScaleBySides<T>(row, s, s[i]);
            row[i] += sh;
        });
    }

    protected override void SymmetricProductCore<T>(DeviceMatrix<T> m, Block<T> v, Block<T> y)
    {
        CheckSameCols(v, y, nameof(SymmetricProduct));
        int n = m.Cols, b = v.Rows;
        T[] ms = Data(m);
        T[] vs = ((ManagedStorage<T>)v.Matrix.Storage).Array, ys = ((ManagedStorage<T>)y.Matrix.Storage).Array;
        int vo = (int)v.Offset, yo = (int)y.Offset;
        // y[c, i] = M_i · v_c (M symmetric): four rows of M against two vectors per pass, the vectors in panels of
        // ProductPanel so that a panel stays in cache while M streams past it (the same dots, so the same bits, at any width).
        for (int c0 = 0; c0 < b; c0 += ProductPanel)
        {
            int cEnd = Math.Min(b, c0 + ProductPanel);
            Parallel.For(0, (n + 3) / 4, chunk =>
            {
                Span<T> dots = stackalloc T[8];
                int i = chunk * 4;
                int r0 = i, r1 = Math.Min(i + 1, n - 1), r2 = Math.Min(i + 2, n - 1), r3 = Math.Min(i + 3, n - 1);
                for (int c = c0; c < cEnd; c += 2)
                {
                    int c1 = Math.Min(c + 1, b - 1);
                    SimdKernels.Dot4x2(ms, r0 * n, r1 * n, r2 * n, r3 * n, vs, vo + c * n, vo + c1 * n, n, dots);
                    ys[yo + c * n + r0] = dots[0]; ys[yo + c1 * n + r0] = dots[1];
                    ys[yo + c * n + r1] = dots[2]; ys[yo + c1 * n + r1] = dots[3];
                    ys[yo + c * n + r2] = dots[4]; ys[yo + c1 * n + r2] = dots[5];
                    ys[yo + c * n + r3] = dots[6]; ys[yo + c1 * n + r3] = dots[7];
                }
            });
        }
    }

    /// <summary>Vectors per pass of <see cref="SymmetricProductCore{T}"/>: even (the vector pairs are those of one pass over all), and the widest Lanczos block (32), so only wider blocks (the batched backward's) take several passes.</summary>
    private const int ProductPanel = 32;

    protected override double[,] InnerProductsCore<T>(Block<T> a, Block<T> b)
    {
        CheckSameCols(a, b, nameof(InnerProducts));
        int n = a.Cols, p = a.Rows, q = b.Rows;
        T[] As = ((ManagedStorage<T>)a.Matrix.Storage).Array, Bs = ((ManagedStorage<T>)b.Matrix.Storage).Array;
        int ao = (int)a.Offset, bo = (int)b.Offset;
        var g = new double[p, q];
        Parallel.For(0, p * q, e =>
        {
            int r = e / q, c = e % q;
            g[r, c] = WideDot(new ReadOnlySpan<T>(As, ao + r * n, n), new ReadOnlySpan<T>(Bs, bo + c * n, n));
        });
        return g;
    }

    /// <summary>Dot product accumulated in float64 (float inputs are widened before multiplying).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double WideDot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double))
            return double.CreateTruncating(SimdMath.Dot(a, b));
        var af = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a);
        var bf = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(b);
        Vector<double> acc = Vector<double>.Zero;
        int v = Vector<float>.Count, k = 0;
        for (; k <= af.Length - v; k += v)
        {
            Vector.Widen(new Vector<float>(af[k..]), out var a0, out var a1);
            Vector.Widen(new Vector<float>(bf[k..]), out var b0, out var b1);
            acc += a0 * b0 + a1 * b1;
        }
        double sum = Vector.Sum(acc);
        for (; k < af.Length; k++)
            sum += (double)af[k] * bf[k];
        return sum;
    }

    protected override void CombineCore<T>(Block<T> dst, double beta, Block<T> a, double[,] s)
    {
        CheckSameCols(dst, a, nameof(Combine));
        int n = dst.Cols, p = a.Rows, q = dst.Rows;
        CheckCoefficients(s, p, q);
        T[] D = ((ManagedStorage<T>)dst.Matrix.Storage).Array, A = ((ManagedStorage<T>)a.Matrix.Storage).Array;
        int dOff = (int)dst.Offset, aOff = (int)a.Offset;
        int chunks = (n + Chunk - 1) / Chunk;
        T tb = T.CreateChecked(beta);
        Parallel.For(0, q * chunks, e =>
        {
            int c = e / chunks, i0 = e % chunks * Chunk, len = Math.Min(Chunk, n - i0);
            var dc = new Span<T>(D, dOff + c * n + i0, len);
            if (beta == 0)
                dc.Clear();
            else if (beta != 1)
                SimdMath.Scale(dc, tb);
            for (int r = 0; r < p; r++)
            {
                double coef = s[r, c];
                if (coef != 0)
                    SimdMath.MultiplyAdd(new ReadOnlySpan<T>(A, aOff + r * n + i0, len), T.CreateChecked(coef), dc);
            }
        });
    }

    protected override void AccumulateEmbeddingGradientsCore<T>(AffinityKind kind, Block<T> x, DeviceMatrix<T> w, double[] degrees, IReadOnlyList<double[]> ys,
        double[] u, double sigma, IReadOnlyList<double[]> gxs, IReadOnlyList<int[]?> rows)
    {
        int k = 0;
        for (int c = 0; c < ys.Count; c++)
            k = CheckEmbeddingGradient(x, w, degrees, ys[c], u, gxs[c]);
        NcutBackward.Accumulate(kind, Wide(Data(x).ToArray()), Wide(Data(w)), degrees, ys, u, sigma, x.Rows, x.Cols, k, gxs, rows);
    }

    /// <summary>The values as float64: the array itself when it already is one, else a widened copy.</summary>
    private static double[] Wide<T>(T[] a) where T : unmanaged, IFloatingPointIeee754<T> =>
        a is double[] wide ? wide : Array.ConvertAll(a, double.CreateChecked);

    protected override int[] FarthestPointSampleCore<T>(Block<T> points, int count)
    {
        CheckSampleCount(count);
        var span = Data(points);
        var y = new double[span.Length];
        for (int e = 0; e < y.Length; e++)
            y[e] = double.CreateTruncating(span[e]);
        return FarthestPointWalk.Walk(y, points.Rows, points.Cols, count);
    }

    protected override void PropagateNearestCore<T>(Block<T> x, Block<T> anchors, Block<T> values, double[]? anchorDegrees, double sigma, int neighbours,
        Block<T> output, DistancePrecision precision)
    {
        CheckPropagation(x, anchors, values, anchorDegrees, sigma, neighbours, output);
        NearestPropagation.Run(Data(x.Matrix), (int)x.Offset, x.Rows, Data(anchors.Matrix), (int)anchors.Offset, anchors.Rows, x.Cols,
            Data(values.Matrix), (int)values.Offset, values.Cols, anchorDegrees, sigma, neighbours, Data(output.Matrix), (int)output.Offset);
    }

    protected override void RbfWeightedMeansCore<T>(Block<T> x, Block<T> anchors, Block<T> values, double sigma, Block<T> output,
        DistancePrecision precision) =>
        NearestPropagation.Run(Data(x.Matrix), (int)x.Offset, x.Rows, Data(anchors.Matrix), (int)anchors.Offset, anchors.Rows, x.Cols,
            Data(values.Matrix), (int)values.Offset, values.Cols, Enumerable.Repeat(1.0, anchors.Rows).ToArray(), sigma, anchors.Rows,
            Data(output.Matrix), (int)output.Offset);

    protected override void FinishClassicCore<T>(Block<T> sums, double count, Block<T> output)
    {
        CheckFinishClassic(sums, count, output);
        int k = output.Cols;
        var (s, o) = (((ManagedStorage<T>)sums.Matrix.Storage).Array, ((ManagedStorage<T>)output.Matrix.Storage).Array);
        long s0 = sums.Offset, o0 = output.Offset;
        Parallel.For(0, (sums.Rows + Chunk - 1) / Chunk, b =>
        {
            for (int r = b * Chunk, end = Math.Min(sums.Rows, r + Chunk); r < end; r++)
            {
                double total = double.CreateTruncating(s[s0 + (long)r * (k + 1) + k]) * count;
                double scale = total > AffinityMath.WeightFloor ? count / Math.Sqrt(total) : 0;
                for (int c = 0; c < k; c++)
                    o[o0 + (long)r * k + c] = T.CreateTruncating(double.CreateTruncating(s[s0 + (long)r * (k + 1) + c]) * scale);
            }
        });
    }

    /// <summary>Rows of the value matrix per parallel block of <see cref="Backend.ClassicValues{T}"/> (each row k + 1 outputs, k at most a few hundred).</summary>
    private const int ValueRows = 256;

    protected override void ClassicValuesCore<T>(Block<T> vectors, int[] rows, double[] rowScale, double[] columnSign, double[] columnDivisor, Block<T> values)
    {
        CheckClassicValues(vectors, rows, rowScale, columnSign, columnDivisor, values);
        int k = vectors.Rows, m = vectors.Cols, s = rows.Length;
        var (v, o) = (((ManagedStorage<T>)vectors.Matrix.Storage).Array, ((ManagedStorage<T>)values.Matrix.Storage).Array);
        long v0 = vectors.Offset, o0 = values.Offset;
        Parallel.For(0, (s + ValueRows - 1) / ValueRows, b =>
        {
            for (int j = b * ValueRows, end = Math.Min(s, j + ValueRows); j < end; j++)
            {
                long at = v0 + rows[j], row = o0 + (long)j * (k + 1);
                double scale = rowScale[j];
                for (int c = 0; c < k; c++)
                    o[row + c] = T.CreateTruncating(double.CreateTruncating(v[at + (long)c * m]) * columnSign[c] * scale / columnDivisor[c]);
                o[row + k] = T.One;
            }
        });
    }

    protected override void GatherRowsCore<T>(Block<T> x, int[] rows, Block<T> dst)
    {
        CheckGather(x, rows, dst);
        var src = ((ManagedStorage<T>)x.Matrix.Storage).Array;
        var d = Data(dst);
        int cols = x.Cols;
        for (int r = 0; r < rows.Length; r++)
            src.AsSpan((int)(x.Offset + (long)rows[r] * cols), cols).CopyTo(d.Slice(r * cols, cols));
    }

    protected override double[] ColumnSumsCore<T>(Block<T> x)
    {
        int rows = x.Rows, cols = x.Cols, parts = (rows + Chunk - 1) / Chunk;
        var data = ((ManagedStorage<T>)x.Matrix.Storage).Array;
        long x0 = x.Offset;
        var partial = new double[parts, cols];
        Parallel.For(0, parts, b =>
        {
            for (int r = b * Chunk, end = Math.Min(rows, r + Chunk); r < end; r++)
                for (int c = 0; c < cols; c++)
                    partial[b, c] += double.CreateTruncating(data[x0 + (long)r * cols + c]);
        });
        var sums = new double[cols];
        for (int b = 0; b < parts; b++)
            for (int c = 0; c < cols; c++)
                sums[c] += partial[b, c];
        return sums;
    }

    protected override void ScaleColumnsCore<T>(Block<T> x, double[] factors)
    {
        int rows = x.Rows, cols = x.Cols;
        var data = ((ManagedStorage<T>)x.Matrix.Storage).Array;
        long x0 = x.Offset;
        Parallel.For(0, (rows + Chunk - 1) / Chunk, b =>
        {
            for (int r = b * Chunk, end = Math.Min(rows, r + Chunk); r < end; r++)
                for (int c = 0; c < cols; c++)
                    data[x0 + (long)r * cols + c] = T.CreateTruncating(double.CreateTruncating(data[x0 + (long)r * cols + c]) * factors[c]);
        });
    }

    protected override long FirstNonFiniteCore<T>(Block<T> x) => FiniteScan.FirstNonFinite<T>(Data(x));

    protected override double MaxAbsCore<T>(Block<T> x) => double.CreateTruncating(FiniteScan.Scan<T>(Data(x)).MaxAbs);

    protected override void CopyCore<T>(Block<T> src, Block<T> dst)
    {
        CheckSameCols(src, dst, nameof(Copy));
        Data(src).CopyTo(Data(dst));
    }

    protected override void SynchronizeCore()
    {
    }

    protected override void DisposeCore()
    {
    }
}
