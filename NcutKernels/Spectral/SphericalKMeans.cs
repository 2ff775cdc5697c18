// SphericalKMeans: the k-means rotation of ncut_pytorch's quick_kway: unit centroids of the unit rows (host, float64).
using NcutKernels.Backends.Managed;

namespace NcutKernels.Spectral;

/// <summary>
/// Spherical k-means on unit rows, as ncut_pytorch's <c>_kmeans_kway</c>: k starting centroids by farthest-point
/// sampling; each iteration assigns every row to the centroid of largest dot product (ties to the lowest),
/// replaces each non-empty cluster's centroid by its normalized mean (an empty cluster keeps its centroid).
/// R = the centroids as columns (c×k). ncut_pytorch always runs the full iteration count; here the loop stops
/// as soon as the assignments repeat, which is a fixed point, so the result is the same.
/// </summary>
internal static class SphericalKMeans
{
    /// <summary>x: m×c unit rows (row-major). Returns R (c×k, columns in <see cref="KwayRotation.SortColumns"/> order), iterations and convergence.</summary>
    public static (double[,] rotation, int iterations, bool converged) Fit(double[] x, int m, int c, int k, int maxIterations)
    {
        var start = FarthestPointWalk.Greedy(x, m, c, k);
        var centroids = new double[c, k];
        for (int j = 0; j < k; j++)
            for (int a = 0; a < c; a++)
                centroids[a, j] = x[(long)start[j] * c + a];
        var labels = new int[m];
        var previous = new int[m];
        for (int iteration = 1; iteration <= maxIterations; iteration++)
        {
            KwayRotation.AssignRows(x, m, c, centroids, k, labels);
            if (iteration > 1 && labels.AsSpan().SequenceEqual(previous))
                return (KwayRotation.SortColumns(centroids), iteration - 1, true);
            (labels, previous) = (previous, labels);
            var sums = new double[c, k];
            var counts = new int[k];
            for (int i = 0; i < m; i++)
            {
                int j = previous[i];
                counts[j]++;
                for (int a = 0; a < c; a++)
                    sums[a, j] += x[(long)i * c + a];
            }
            for (int j = 0; j < k; j++)
            {
                if (counts[j] == 0)
                    continue;
                double norm = 0;
                for (int a = 0; a < c; a++)
                {
                    sums[a, j] /= counts[j];
                    norm += sums[a, j] * sums[a, j];
                }
                norm = Math.Max(Math.Sqrt(norm), KwayRotation.NormFloor);
                for (int a = 0; a < c; a++)
                    centroids[a, j] = sums[a, j] / norm;
            }
        }
        return (KwayRotation.SortColumns(centroids), maxIterations, false);
    }
}
