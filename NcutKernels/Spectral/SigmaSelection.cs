// SigmaSelection: ncut_pytorch's degree-quantile rule for choosing the affinity bandwidth σ (host, float64).
using System.Numerics;
using System.Runtime.CompilerServices;

namespace NcutKernels.Spectral;

/// <summary>
/// Chooses σ the way ncut_pytorch's <c>find_sigma_by_degree</c> does: on a subset of at most 1000 points
/// (all points when n ≤ 1000; otherwise farthest-point sampling, seeded, in an 8-dimensional random
/// projection, from 4000 evenly spaced candidates when n &gt; 4000), take the per-node mean affinities at
/// σ0 = Σ_k std(X[:, k]) and their <c>quantile</c> as the target; then, from σ = 0.5, double σ until the
/// mean of all affinities passes the target and bisect until it is within 1 % of it (at most 100 steps).
/// </summary>
internal static class SigmaSelection
{
    public const int SubsetSize = 1000, CandidateCount = 4000, ProjectionDims = 8, MaxSteps = 100;
    public const double InitialSigma = 0.5, RelativeTolerance = 1e-2;

    /// <summary>Returns σ for x (n×d row-major). Degenerate data (all rows equal) returns 1, where every σ gives the same graph.</summary>
    public static double ByDegreeQuantile<T>(ReadOnlySpan<T> x, int n, int d, AffinityKind kind, double quantile, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = SubsetRows(x, n, d, seed);
        int m = rows.Length;
        var xs = new double[m * d];
        for (int r = 0; r < m; r++)
            for (int k = 0; k < d; k++)
                xs[r * d + k] = double.CreateChecked(x[rows[r] * d + k]);
        double sigma0 = SumOfStd(xs, m, d);
        if (!(sigma0 > 0))
            return 1.0;
        var pair = PairTerm(xs, m, d, kind);
        var kernel = new double[m * m];
        var degrees = Evaluate(pair, kind, sigma0, kernel).Select(s => s / m).ToArray();
        double target = Quantile(degrees, quantile);
        double sigma = InitialSigma, low = 0, high = double.PositiveInfinity;
        double current = Mean(pair, kind, sigma, kernel);
        for (int step = 0; step < MaxSteps && Math.Abs(current - target) > RelativeTolerance * target; step++)
        {
            if (current > target)
            {
                high = sigma;
                sigma = (low + sigma) / 2;
            }
            else
            {
                low = sigma;
                sigma = double.IsPositiveInfinity(high) ? sigma * 2 : (sigma + high) / 2;
            }
            current = Mean(pair, kind, sigma, kernel);
        }
        return sigma;
    }

    /// <summary>RBF: squared distances; cosine: cosine similarities of the unit rows (floor 1e-8 on the norm).</summary>
    private static double[] PairTerm(double[] xs, int m, int d, AffinityKind kind)
    {
        var sq = new double[m];
        for (int i = 0; i < m; i++)
            sq[i] = Backends.SimdMath.Dot<double>(xs.AsSpan(i * d, d), xs.AsSpan(i * d, d));
        var p = new double[m * m];
        Backends.ManagedBackend.Gram(xs, m, d, p);
        Parallel.For(0, m, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i) =>
        {
            for (int j = 0; j < m; j++)
            {
                double g = p[i * m + j];
                p[i * m + j] = kind == AffinityKind.Rbf
                    ? (i == j ? 0 : Math.Max(0, sq[i] + sq[j] - 2 * g))
                    : g / (Math.Max(Math.Sqrt(sq[i]), AffinityMath.CosineNormFloor) * Math.Max(Math.Sqrt(sq[j]), AffinityMath.CosineNormFloor));
            }
        });
        return p;
    }

    /// <summary>kernel = K(σ) from the pair terms, row by row in parallel; returns each row's sum.</summary>
    private static double[] Evaluate(double[] pair, AffinityKind kind, double sigma, double[] kernel)
    {
        double scale = -1 / (2 * sigma * sigma);
        int m = (int)Math.Sqrt(pair.Length);
        var rowSums = new double[m];
        Parallel.For(0, m, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (i) =>
        {
            var p = new ReadOnlySpan<double>(pair, i * m, m);
            var k = new Span<double>(kernel, i * m, m);
            if (kind == AffinityKind.Rbf)
                Backends.SimdMath.ExpScaled(p, scale, k);
            else
                Backends.SimdMath.CosineRow(p, k, -scale, AffinityMath.CosineFloor);
            rowSums[i] = Backends.SimdMath.Sum<double>(k);
        });
        return rowSums;
    }

    /// <summary>Mean of all m² affinities at σ (row sums added in row order: deterministic).</summary>
    private static double Mean(double[] pair, AffinityKind kind, double sigma, double[] kernel) =>
        Evaluate(pair, kind, sigma, kernel).Sum() / kernel.Length;

    /// <summary>Linear-interpolation quantile (numpy's and torch's default).</summary>
    internal static double Quantile(double[] values, double q)
    {
        var s = (double[])values.Clone();
        Array.Sort(s);
        double pos = q * (s.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, s.Length - 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }

    private static double SumOfStd(double[] xs, int m, int d)
    {
        double total = 0;
        for (int k = 0; k < d; k++)
        {
            double mean = 0;
            for (int r = 0; r < m; r++)
                mean += xs[r * d + k];
            mean /= m;
            double v = 0;
            for (int r = 0; r < m; r++)
                v += (xs[r * d + k] - mean) * (xs[r * d + k] - mean);
            total += Math.Sqrt(v / Math.Max(m - 1, 1));
        }
        return total;
    }

    /// <summary>The rows σ is measured on: all when n ≤ 1000, else a seeded farthest-point sample.</summary>
    internal static int[] SubsetRows<T>(ReadOnlySpan<T> x, int n, int d, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n <= SubsetSize)
            return Enumerable.Range(0, n).ToArray();
        var random = new Random(seed);
        int[] candidates;
        if (n > CandidateCount)
        {
            double stride = (double)n / CandidateCount;
            double offset = random.NextDouble() * stride;
            candidates = Enumerable.Range(0, CandidateCount).Select(i => Math.Min(n - 1, (int)(offset + i * stride))).ToArray();
        }
        else
        {
            candidates = Enumerable.Range(0, n).ToArray();
        }
        int p = Math.Min(ProjectionDims, d);
        var proj = new double[d * p];
        for (int i = 0; i < proj.Length; i++)
            proj[i] = random.NextDouble() * 2 - 1;
        int c = candidates.Length;
        var y = new double[c * p];
        var rows = new double[c * d];
        for (int r = 0; r < c; r++)
            for (int k = 0; k < d; k++)
                rows[r * d + k] = double.CreateChecked(x[candidates[r] * d + k]);
        Parallel.For(0, c, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r) =>
        {
            for (int k = 0; k < d; k++)
                for (int e = 0; e < p; e++)
                    y[r * p + e] += rows[r * d + k] * proj[k * p + e];
        });
        var chosen = new int[SubsetSize];
        var dist = new double[c];
        Array.Fill(dist, double.PositiveInfinity);
        // Farthest-point sampling: candidates split into fixed chunks, each chunk's farthest point found in
        // parallel, ties to the lowest index (deterministic).
        const int chunk = 256;
        int chunks = (c + chunk - 1) / chunk;
        var bestOf = new int[chunks];
        int current = 0;
        for (int s = 0; s < SubsetSize; s++)
        {
            chosen[s] = candidates[current];
            int cur = current;
            Parallel.For(0, chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (b) =>
            {
                int r0 = b * chunk, r1 = Math.Min(c, r0 + chunk), best = r0;
                for (int r = r0; r < r1; r++)
                {
                    double dd = 0;
                    for (int e = 0; e < p; e++)
                    {
                        double t = y[r * p + e] - y[cur * p + e];
                        dd += t * t;
                    }
                    if (dd < dist[r])
                        dist[r] = dd;
                    if (dist[r] > dist[best])
                        best = r;
                }
                bestOf[b] = best;
            });
            current = bestOf[0];
            for (int b = 1; b < chunks; b++)
                if (dist[bestOf[b]] > dist[current])
                    current = bestOf[b];
        }
        return chosen;
    }
}
