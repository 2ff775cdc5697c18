// KwayRotation: pieces shared by the k-way rotation fits: row normalization with a norm floor, argmax assignment, ncut_pytorch's column order.
using System.Runtime.CompilerServices;

namespace NcutKernels.Spectral;

/// <summary>Helpers shared by <see cref="AxisAlignment"/>, <see cref="SphericalKMeans"/> and <see cref="KwayNcut"/> (host, float64).</summary>
internal static class KwayRotation
{
    /// <summary>Rows are divided by max(‖row‖, 1e-12), as torch's F.normalize: a zero row stays zero instead of becoming NaN.</summary>
    public const double NormFloor = 1e-12;

    /// <summary>Divides each row of x (m×c, row-major) by max(‖row‖, <see cref="NormFloor"/>) in place.</summary>
    public static void NormalizeRows(double[] x, int m, int c)
    {
        Parallel.For(0, m, i =>
        {
            var row = x.AsSpan((int)((long)i * c), c);
            double norm = 0;
            foreach (double v in row)
                norm += v * v;
            norm = Math.Max(Math.Sqrt(norm), NormFloor);
            foreach (ref double v in row)
                v /= norm;
        });
    }

    /// <summary>labels[i] = argmax_j (x·r)[i, j] for x m×c (row-major) and r c×k; ties go to the lowest j.</summary>
    public static void AssignRows(double[] x, int m, int c, double[,] r, int k, int[] labels)
    {
        Parallel.For(0, m, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i) =>
        {
            long row = (long)i * c;
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int j = 0; j < k; j++)
            {
                double score = 0;
                for (int a = 0; a < c; a++)
                    score += x[row + a] * r[a, j];
                if (score > bestScore)
                    (best, bestScore) = (j, score);
            }
            labels[i] = best;
        });
    }

    /// <summary>
    /// ncut_pytorch's fixed column order: columns sorted ascending by their entry in row 1 (the second
    /// eigenvector's weight), ties kept in their original order.
    /// </summary>
    public static double[,] SortColumns(double[,] r)
    {
        int rows = r.GetLength(0), cols = r.GetLength(1);
        var order = Enumerable.Range(0, cols).OrderBy(j => r[1, j]).ThenBy(j => j).ToArray();
        var sorted = new double[rows, cols];
        for (int j = 0; j < cols; j++)
            for (int a = 0; a < rows; a++)
                sorted[a, j] = r[a, order[j]];
        return sorted;
    }
}
