// SpectralClustering: k-means on row-normalized eigenvectors (seeded k-means++), used by the demo to colour segments.
namespace NcutKernels.Cli;

/// <summary>Seeded k-means++ / Lloyd on the row-normalized spectral embedding.</summary>
internal static class SpectralClustering
{
    public static int[] KMeans(float[,] u, int clusters, int seed, int iterations = 50)
    {
        int n = u.GetLength(0), k = u.GetLength(1);
        var x = new double[n, k];
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int j = 0; j < k; j++)
                norm += (double)u[i, j] * u[i, j];
            norm = Math.Sqrt(Math.Max(norm, 1e-30));
            for (int j = 0; j < k; j++)
                x[i, j] = u[i, j] / norm;
        }
        var rng = new Random(seed);
        var centres = new double[clusters, k];
        var dist = Enumerable.Repeat(double.PositiveInfinity, n).ToArray();
        int first = rng.Next(n);
        for (int c = 0; c < clusters; c++)
        {
            int pick = first;
            if (c > 0)
            {
                double total = dist.Sum(), r = rng.NextDouble() * total;
                for (pick = 0; pick < n - 1 && (r -= dist[pick]) > 0; pick++)
                {
                }
            }
            for (int j = 0; j < k; j++)
                centres[c, j] = x[pick, j];
            for (int i = 0; i < n; i++)
                dist[i] = Math.Min(dist[i], Distance(x, i, centres, c, k));
        }
        var labels = new int[n];
        for (int it = 0; it < iterations; it++)
        {
            bool changed = false;
            for (int i = 0; i < n; i++)
            {
                int best = 0;
                for (int c = 1; c < clusters; c++)
                    if (Distance(x, i, centres, c, k) < Distance(x, i, centres, best, k))
                        best = c;
                changed |= labels[i] != best;
                labels[i] = best;
            }
            if (!changed && it > 0)
                break;
            var sums = new double[clusters, k];
            var counts = new int[clusters];
            for (int i = 0; i < n; i++)
            {
                counts[labels[i]]++;
                for (int j = 0; j < k; j++)
                    sums[labels[i], j] += x[i, j];
            }
            for (int c = 0; c < clusters; c++)
                if (counts[c] > 0)
                    for (int j = 0; j < k; j++)
                        centres[c, j] = sums[c, j] / counts[c];
        }
        return labels;
    }

    private static double Distance(double[,] x, int i, double[,] centres, int c, int k)
    {
        double s = 0;
        for (int j = 0; j < k; j++)
        {
            double t = x[i, j] - centres[c, j];
            s += t * t;
        }
        return s;
    }
}
