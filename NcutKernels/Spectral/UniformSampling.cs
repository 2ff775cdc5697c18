// UniformSampling: m distinct rows of n drawn uniformly from a seed in O(m) time and memory (landmarks, subsets, check rows).
namespace NcutKernels.Spectral;

/// <summary>Seeded uniform sampling without replacement.</summary>
internal static class UniformSampling
{
    /// <summary>
    /// m distinct rows of n, uniformly at random from <paramref name="seed"/>: the first m steps of a Fisher–Yates shuffle of
    /// 0..n−1, with only the displaced entries stored (O(m) memory and time, not O(n)).
    /// </summary>
    public static int[] Draw(int n, int m, int seed)
    {
        var random = new Random(seed);
        var displaced = new Dictionary<int, int>(m);
        var rows = new int[m];
        for (int i = 0; i < m; i++)
        {
            int j = random.Next(i, n);
            int atI = displaced.GetValueOrDefault(i, i);
            rows[i] = displaced.GetValueOrDefault(j, j);
            displaced[j] = atI;
        }
        return rows;
    }
}
