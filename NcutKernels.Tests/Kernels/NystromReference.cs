// NystromReference: host references for the Nyström kernels — farthest-point sampling in float32, nearest-anchor propagation in float64.
namespace NcutKernels.Tests.Kernels;

/// <summary>Plain loops written from the contract, for the kernel tests (CPU accelerator and CUDA).</summary>
internal static class NystromReference
{
    /// <summary>
    /// The greedy walk from row 0 in float32 exactly as the contract states it: distances Σ_e (x[r, e] − x[pick, e])² summed
    /// in order with separately rounded products; the next pick is the unpicked row with the largest distance to its
    /// nearest pick, ties (and the all-zero case) to the lowest unpicked row; 0..rows−1 when count ≥ rows.
    /// </summary>
    public static int[] FarthestPointSample(float[] points, int rows, int p, int count)
    {
        if (count >= rows)
            return Enumerable.Range(0, rows).ToArray();
        var dist = Enumerable.Repeat(float.PositiveInfinity, rows).ToArray();
        var picked = new bool[rows];
        var picks = new int[count];
        int current = 0;
        for (int s = 0; s < count; s++)
        {
            picks[s] = current;
            picked[current] = true;
            float best = -1f;
            int arg = -1;
            for (int r = 0; r < rows; r++)
            {
                if (picked[r])
                    continue;
                float acc = 0f;
                for (int e = 0; e < p; e++)
                {
                    float t = points[r * p + e] - points[current * p + e];
                    acc += t * t;
                }
                if (acc < dist[r])
                    dist[r] = acc;
                if (dist[r] > best)
                    (best, arg) = (dist[r], r);
            }
            current = arg;
        }
        return picks;
    }

    /// <summary>
    /// The float64 propagation of one call (n×k output, n×K neighbour indices in ascending (distance, index) order and their
    /// weights w/denom), and per row whether it is free of near-ties: Boundary when the K-th and (K+1)-th nearest anchors
    /// are at least minGap apart (the neighbour set, hence the output, is then unambiguous in float32), Order when all of
    /// the K + 1 nearest are (the order of the neighbour output too).
    /// </summary>
    public static Propagation PropagateNearest(float[] x, int n, int d, float[] anchors, int a, float[] values, int k, float[]? degrees,
        double sigma, int neighbours, double minGap)
    {
        var result = new Propagation(new double[n * k], new int[n * neighbours], new double[n * neighbours], new bool[n], new bool[n]);
        Parallel.For(0, n, i =>
        {
            var (dist, order) = Nearest(x.AsSpan(i * d, d), anchors, a);
            result.Order[i] = OrderClear(dist, order, neighbours, minGap);
            result.Boundary[i] = neighbours == a || dist[order[neighbours]] - dist[order[neighbours - 1]] >= minGap;
            var w = order.Take(neighbours).Select(j => Math.Exp(-dist[j] / (2 * sigma * sigma))).ToArray();
            double denom = degrees is null ? Math.Max(w.Sum(), 1e-30) : order.Take(neighbours).Sum(j => (double)degrees[j]);
            for (int t = 0; t < neighbours; t++)
            {
                result.Indices[i * neighbours + t] = order[t];
                result.Weights[i * neighbours + t] = w[t] / denom;
                for (int c = 0; c < k; c++)
                    result.Output[i * k + c] += w[t] * values[order[t] * k + c] / denom;
            }
        });
        return result;
    }

    /// <summary>
    /// n rows of d uniform [lo, hi) values, each redrawn until its K + 1 nearest anchors are at least minGap apart in
    /// squared distance, so that float32 distances order them as float64 does.
    /// </summary>
    public static float[] TieFreeRows(int n, int d, float[] anchors, int a, int neighbours, double minGap, int seed, double lo, double hi)
    {
        var rng = new Random(seed);
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            var row = x.AsSpan(i * d, d);
            do
            {
                for (int e = 0; e < d; e++)
                    row[e] = (float)(lo + (hi - lo) * rng.NextDouble());
            }
            while (!OrderClear(Nearest(row, anchors, a), neighbours, minGap));
        }
        return x;
    }

    private static bool OrderClear((double[] Dist, int[] Order) nearest, int neighbours, double minGap) =>
        OrderClear(nearest.Dist, nearest.Order, neighbours, minGap);

    private static bool OrderClear(double[] dist, int[] order, int neighbours, double minGap) =>
        Enumerable.Range(1, Math.Min(neighbours + 1, order.Length) - 1).All(t => dist[order[t]] - dist[order[t - 1]] >= minGap);

    /// <summary>Squared distances (float64) from row to every anchor, and the anchors in ascending (distance, index) order.</summary>
    private static (double[] Dist, int[] Order) Nearest(ReadOnlySpan<float> row, float[] anchors, int a)
    {
        int d = row.Length;
        var dist = new double[a];
        for (int j = 0; j < a; j++)
        {
            double s = 0;
            for (int e = 0; e < d; e++)
            {
                double t = (double)row[e] - anchors[j * d + e];
                s += t * t;
            }
            dist[j] = s;
        }
        return (dist, Enumerable.Range(0, a).OrderBy(j => dist[j]).ThenBy(j => j).ToArray());
    }

    /// <summary>The reference's outputs and per-row near-tie flags (see <see cref="PropagateNearest"/>).</summary>
    public sealed record Propagation(double[] Output, int[] Indices, double[] Weights, bool[] Boundary, bool[] Order);
}
