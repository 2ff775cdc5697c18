// FarthestPointWalk: the exact greedy farthest-point walk on the host (float64, k-d ordered leaves), the managed twin of the device walk.
using System.Runtime.CompilerServices;

namespace NcutKernels.Backends.Managed;

/// <summary>The walk of <see cref="Backend.FarthestPointSample{T}"/> on the host; the managed backend runs it and it is the reference of the kernels.</summary>
internal static class FarthestPointWalk
{
    private const int Leaf = 128;

    /// <summary>The walk of device walk: <see cref="Greedy"/>, or every row in order when count ≥ rows.</summary>
    public static int[] Walk(double[] y, int rows, int d, int count) =>
        count >= rows ? Enumerable.Range(0, rows).ToArray() : Greedy(y, rows, d, count);

    /// <summary>
    /// Exact greedy farthest-point walk over all rows of y (rows×d, row-major), starting at row 0: each step picks the
    /// row farthest (squared Euclidean, summed over dimensions in order; ties to the lowest row) from those picked.
    /// The rows are first arranged in a k-d order and cut into leaves of <see cref="Leaf"/> rows with bounding
    /// boxes; a step skips every leaf whose box is at least as far from the new pick as the leaf's current
    /// farthest distance (none of its distances can shrink), which is what makes large walks fast. The result is
    /// the same as the plain O(count·rows·d) walk's.
    /// </summary>
    public static int[] Greedy(double[] y, int rows, int d, int count)
    {
        var order = Enumerable.Range(0, rows).ToArray();
        KdOrder(y, d, order, 0, rows);
        var sorted = new double[(long)rows * d];
        for (int p = 0; p < rows; p++)
            Array.Copy(y, (long)order[p] * d, sorted, (long)p * d, d);
        int leaves = (rows + Leaf - 1) / Leaf;
        var low = new double[leaves * d];
        var high = new double[leaves * d];
        Array.Fill(low, double.PositiveInfinity);
        Array.Fill(high, double.NegativeInfinity);
        for (int p = 0; p < rows; p++)
            for (int e = 0; e < d; e++)
            {
                int box = p / Leaf * d + e;
                low[box] = Math.Min(low[box], sorted[(long)p * d + e]);
                high[box] = Math.Max(high[box], sorted[(long)p * d + e]);
            }
        var dist = new double[rows];
        Array.Fill(dist, double.PositiveInfinity);
        var leafFarthest = new int[leaves];
        var leafMax = new double[leaves];
        Array.Fill(leafMax, double.PositiveInfinity);
        var centre = new double[d];
        var chosen = new int[count];
        int current = Array.IndexOf(order, 0);
        for (int s = 0; s < count; s++)
        {
            chosen[s] = order[current];
            dist[current] = -1; // picked: never updated, never the farthest again
            Array.Copy(sorted, (long)current * d, centre, 0, d);
            int picked = current;
            Parallel.For(0, leaves, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) =>
            {
                int p0 = b * Leaf, p1 = Math.Min(rows, p0 + Leaf);
                double gap = 0;
                for (int e = 0; e < d; e++)
                {
                    double g = Math.Max(0, Math.Max(low[b * d + e] - centre[e], centre[e] - high[b * d + e]));
                    gap += g * g;
                }
                if (gap >= leafMax[b] && (picked < p0 || picked >= p1))
                    return;
                for (int p = p0; p < p1; p++)
                {
                    if (dist[p] < 0)
                        continue;
                    var row = new ReadOnlySpan<double>(sorted, p * d, d);
                    double sum = 0;
                    for (int e = 0; e < d; e++)
                    {
                        double t = row[e] - centre[e];
                        sum += t * t;
                    }
                    if (sum < dist[p])
                        dist[p] = sum;
                }
                int best = p0;
                for (int p = p0 + 1; p < p1; p++)
                    if (Farther(p, best, dist, order))
                        best = p;
                leafFarthest[b] = best;
                leafMax[b] = dist[best];
            });
            current = leafFarthest[0];
            for (int b = 1; b < leaves; b++)
                if (Farther(leafFarthest[b], current, dist, order))
                    current = leafFarthest[b];
        }
        return chosen;
    }

    /// <summary>Position p beats q: larger distance, or equal distance and a lower original row.</summary>
    private static bool Farther(int p, int q, double[] dist, int[] order) =>
        dist[p] > dist[q] || (dist[p] == dist[q] && order[p] < order[q]);

    /// <summary>Arranges order[start..end) so that every aligned run of <see cref="Leaf"/> positions is spatially compact: split at a leaf boundary near the median of the widest dimension, recursively.</summary>
    private static void KdOrder(double[] y, int d, int[] order, int start, int end)
    {
        if (end - start <= Leaf)
            return;
        int axis = 0;
        double widest = -1;
        for (int e = 0; e < d; e++)
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            for (int i = start; i < end; i++)
            {
                double v = y[(long)order[i] * d + e];
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
            if (max - min > widest)
                (widest, axis) = (max - min, e);
        }
        var keys = new double[end - start];
        for (int i = start; i < end; i++)
            keys[i - start] = y[(long)order[i] * d + axis];
        keys.AsSpan().Sort(order.AsSpan(start, end - start));
        int mid = start + Math.Max(1, ((end - start) / 2 + Leaf / 2) / Leaf) * Leaf;
        KdOrder(y, d, order, start, mid);
        KdOrder(y, d, order, mid, end);
    }
}
