// NearestPropagation: the host implementation of Backend.PropagateNearest (float64 distances, nearest-anchor selection, weighted sums); output written with =.
using System.Numerics;
using System.Runtime.CompilerServices;
using NcutKernels.Core;

namespace NcutKernels.Backends.Managed;

/// <summary>
/// Row i of the output is Σ_{j∈N_i} w_ij·values_j / denom_i over the <c>neighbours</c> anchors nearest to x_i (see
/// <see cref="Backend.PropagateNearest{T}"/>). Squared distances are ‖x_i‖² + ‖a_j‖² − 2·x_i·a_j in float64 (float32 inputs
/// widened first; clamped at 0), in tiles of rows against panels of anchors (4×2 register blocks inside); the nearest set is
/// kept in a bounded max-heap ordered by (distance, anchor index), so ties go to the lower anchor index; when every anchor is a
/// neighbour the weights of a row are taken with a vectorized exp and summed in anchor order. Weights and sums are float64.
/// Each row is computed on its own in a fixed order, so a row's result does not depend on which rows are processed with it.
/// </summary>
internal static class NearestPropagation
{
    /// <summary>Rows per parallel work item: their widened features stay in cache while every anchor panel passes by.</summary>
    private const int TileRows = 32;

    /// <summary>Anchors per panel: a panel's rows stay in cache while the tile's rows are compared with it.</summary>
    private const int PanelAnchors = 64;

    /// <summary>
    /// x (n×d) at <paramref name="xOffset"/>, anchors (a×d) at <paramref name="aOffset"/>, values (a×k) at
    /// <paramref name="vOffset"/>, output (n×k) at <paramref name="oOffset"/>, all row-major. Shapes are checked by the caller.
    /// </summary>
    public static void Run<T>(T[] x, int xOffset, int n, T[] anchors, int aOffset, int a, int d, T[] values, int vOffset, int k,
        double[]? degrees, double sigma, int neighbours, T[] output, int oOffset) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double[] an;
        int ao;
        if (anchors is double[] wide)
            (an, ao) = (wide, aOffset);
        else
            (an, ao) = (Widen(anchors, aOffset, (long)a * d), 0);
        var asq = new double[a];
        Parallel.For(0, a, j => asq[j] = SimdMath.Dot<double>(an.AsSpan(ao + j * d, d), an.AsSpan(ao + j * d, d)));
        var v = Widen(values, vOffset, (long)a * k);
        var job = new Job(an, ao, asq, a, d, v, k, degrees, 1 / (2 * sigma * sigma), neighbours);
        Parallel.For(0, (n + TileRows - 1) / TileRows, () => new Scratch(d, a, neighbours, k), (tile, _, s) =>
        {
            Tile(x, xOffset, n, tile * TileRows, job, output, oOffset, s);
            return s;
        }, _ => { });
    }

    /// <summary>The anchors (float64, with their squared norms), values (float64) and scalars shared by every tile.</summary>
    private sealed record Job(double[] Anchors, int AnchorOffset, double[] AnchorNorms, int A, int D, double[] Values, int K, double[]? Degrees,
        double Scale, int Neighbours);

    /// <summary>Per-thread buffers: a tile's widened rows and norms, their distances to every anchor, the heap and the sums.</summary>
    private sealed class Scratch(int d, int a, int neighbours, int k)
    {
        public readonly double[] Rows = new double[TileRows * d];
        public readonly double[] Norms = new double[TileRows];
        public readonly double[] Dist = new double[TileRows * a];
        public readonly double[] HeapDist = new double[neighbours];
        public readonly int[] HeapIndex = new int[neighbours];
        public readonly double[] Sums = new double[TileRows * k];
        public readonly double[] Denominators = new double[TileRows];
    }

    /// <summary>Rows [i0, i0 + <see cref="TileRows"/>) ∩ [0, n): distances to all anchors panel by panel, then each row's selection and weighted sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<T>(T[] x, int xOffset, int n, int i0, Job job, T[] output, int oOffset, Scratch s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int a = job.A, d = job.D, k = job.K;
        int rows = Math.Min(TileRows, n - i0), padded = (rows + 3) / 4 * 4;
        for (int r = 0; r < padded; r++)
        {
            // A ragged last group of four repeats the tile's last row (same values, results not written).
            int src = xOffset + Math.Min(i0 + r, i0 + rows - 1) * d;
            var row = s.Rows.AsSpan(r * d, d);
            for (int e = 0; e < d; e++)
                row[e] = double.CreateTruncating(x[src + e]);
            s.Norms[r] = SimdMath.Dot<double>(row, row);
        }
        Span<double> dots = stackalloc double[8];
        var dist = s.Dist;
        for (int p0 = 0; p0 < a; p0 += PanelAnchors)
        {
            int p1 = Math.Min(a, p0 + PanelAnchors);
            for (int g = 0; g < padded; g += 4)
            {
                for (int j = p0; j < p1; j += 2)
                {
                    int j1 = Math.Min(j + 1, p1 - 1);
                    SimdKernels.Dot4x2(s.Rows, g * d, (g + 1) * d, (g + 2) * d, (g + 3) * d, job.Anchors, job.AnchorOffset + j * d,
                        job.AnchorOffset + j1 * d, d, dots);
                    for (int r = 0; r < 4; r++)
                    {
                        dist[(g + r) * a + j] = Math.Max(0, s.Norms[g + r] + job.AnchorNorms[j] - 2 * dots[2 * r]);
                        dist[(g + r) * a + j1] = Math.Max(0, s.Norms[g + r] + job.AnchorNorms[j1] - 2 * dots[2 * r + 1]);
                    }
                }
            }
        }
        var sums = s.Sums.AsSpan(0, rows * k);
        sums.Clear();
        if (job.Neighbours == a)
            SumAll(job, rows, s);
        else
            for (int r = 0; r < rows; r++)
                s.Denominators[r] = SumNearest(job, new ReadOnlySpan<double>(dist, r * a, a), s.HeapDist, s.HeapIndex, sums.Slice(r * k, k));
        for (int r = 0; r < rows; r++)
        {
            double denominator = job.Degrees is null ? Math.Max(s.Denominators[r], AffinityMath.WeightFloor) : s.Denominators[r];
            int o = oOffset + (i0 + r) * k;
            for (int c = 0; c < k; c++)
                output[o + c] = T.CreateTruncating(sums[r * k + c] / denominator);
        }
    }

    /// <summary>Every anchor is a neighbour: weights for the whole tile (vectorized exp), then the sums anchor by anchor (each value row read once per tile).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumAll(Job job, int rows, Scratch s)
    {
        int a = job.A, k = job.K;
        for (int r = 0; r < rows; r++)
        {
            var row = s.Dist.AsSpan(r * a, a);
            SimdMath.ExpScaled<double>(row, -job.Scale, row);
            s.Denominators[r] = job.Degrees is null ? SumInOrder(row) : SumInOrder(job.Degrees);
        }
        for (int j = 0; j < a; j++)
        {
            var vj = job.Values.AsSpan(j * k, k);
            for (int r = 0; r < rows; r++)
                SimdMath.MultiplyAdd<double>(vj, s.Dist[r * a + j], s.Sums.AsSpan(r * k, k));
        }
    }

    /// <summary>Left-to-right sum (the same order for every row).</summary>
    private static double SumInOrder(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double value in values)
            sum += value;
        return sum;
    }

    /// <summary>The nearest <see cref="Job.Neighbours"/> anchors of one row (a heap), their weighted sum into <paramref name="sum"/>; returns the denominator before flooring.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumNearest(Job job, ReadOnlySpan<double> dist, double[] heapDist, int[] heapIndex, Span<double> sum)
    {
        Select(dist, job.Neighbours, heapDist, heapIndex);
        double denominator = 0;
        for (int q = 0; q < job.Neighbours; q++)
            denominator += Accumulate(heapDist[q], heapIndex[q], job.Values, job.K, job.Degrees, job.Scale, sum);
        return denominator;
    }

    /// <summary>sum += w·v_j with w = exp(−dist·scale); returns this anchor's share of the denominator (its degree, or w).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Accumulate(double dist, int j, double[] v, int k, double[]? degrees, double scale, Span<double> sum)
    {
        double w = Math.Exp(-dist * scale);
        SimdMath.MultiplyAdd<double>(v.AsSpan(j * k, k), w, sum);
        return degrees is null ? w : degrees[j];
    }

    /// <summary>
    /// The <paramref name="count"/> smallest (distance, index) pairs of <paramref name="dist"/> into a max-heap (top = the worst
    /// kept). Anchors arrive in increasing index, so an anchor at the same distance as the worst kept one never displaces it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Select(ReadOnlySpan<double> dist, int count, double[] heapDist, int[] heapIndex)
    {
        for (int j = 0; j < count; j++)
        {
            // Sift up: the new pair has the largest index so far, so it is worse than any kept pair at the same distance.
            int c = j;
            while (c > 0)
            {
                int parent = (c - 1) / 2;
                if (dist[j] < heapDist[parent])
                    break;
                heapDist[c] = heapDist[parent];
                heapIndex[c] = heapIndex[parent];
                c = parent;
            }
            heapDist[c] = dist[j];
            heapIndex[c] = j;
        }
        for (int j = count; j < dist.Length; j++)
        {
            double dj = dist[j];
            if (!(dj < heapDist[0]))
                continue;
            int c = 0;
            while (true)
            {
                int l = 2 * c + 1, worst = c;
                double wd = dj;
                int wi = j;
                if (l < count && Worse(heapDist[l], heapIndex[l], wd, wi))
                    (worst, wd, wi) = (l, heapDist[l], heapIndex[l]);
                if (l + 1 < count && Worse(heapDist[l + 1], heapIndex[l + 1], wd, wi))
                    worst = l + 1;
                if (worst == c)
                    break;
                heapDist[c] = heapDist[worst];
                heapIndex[c] = heapIndex[worst];
                c = worst;
            }
            heapDist[c] = dj;
            heapIndex[c] = j;
        }
    }

    /// <summary>(d1, i1) ranks after (d2, i2): farther, or as far with a higher index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Worse(double d1, int i1, double d2, int i2) => d1 > d2 || (d1 == d2 && i1 > i2);

    private static double[] Widen<T>(T[] a, int offset, long length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new double[length];
        for (long e = 0; e < length; e++)
            r[e] = double.CreateTruncating(a[offset + e]);
        return r;
    }
}
