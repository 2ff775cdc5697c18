// SigmaSelection: ncut_pytorch's degree-quantile rule for choosing the affinity bandwidth σ (float64; pair terms on the host or an ILGPU device).
using System.Numerics;
using NcutKernels.Backends;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>
/// Chooses σ the way ncut_pytorch's <c>find_sigma_by_degree</c> does: on a subset of at most 1000 points
/// (all points when n ≤ 1000; otherwise farthest-point sampling, seeded, in an 8-dimensional random
/// projection, from 4000 evenly spaced candidates when n &gt; 4000), take the per-node mean affinities at
/// σ0 = Σ_k std(X[:, k]) and their <c>quantile</c> as the target; then, from σ = 0.5, double σ until the
/// mean of all affinities passes the target and bisect until it is within 1 % of it (at most 100 steps).
/// The subset, σ0 and the search run on the host in float64; the pair terms and each step's row sums of the
/// affinity run on the host (managed CPU backend, no device) or, for an ILGPU device, as float64 kernels
/// (<see cref="IlgpuSigma"/>), whose σ equals the host's except where a step's mean lies within rounding of
/// the 1 % band or of the target.
/// </summary>
internal static partial class SigmaSelection
{
    public const int SubsetSize = 1000, CandidateCount = 4000, ProjectionDims = 8, MaxSteps = 100;
    public const double InitialSigma = 0.5, RelativeTolerance = 1e-2;

    /// <summary>Returns σ for x (n×d row-major), on the host. Degenerate data (all rows equal) returns 1, where every σ gives the same graph.</summary>
    public static double ByDegreeQuantile<T>(ReadOnlySpan<T> x, int n, int d, AffinityKind kind, double quantile, int seed)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ByDegreeQuantile(x, n, d, kind, quantile, seed, null);

    /// <summary>
    /// Returns σ for x (n×d row-major); the pair terms and the affinity row sums run on <paramref name="device"/> when it is an
    /// ILGPU device, on the host otherwise (null or the managed CPU backend). Degenerate data (all rows equal) returns 1.
    /// </summary>
    public static double ByDegreeQuantile<T>(ReadOnlySpan<T> x, int n, int d, AffinityKind kind, double quantile, int seed, ComputeDevice? device)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d);
        if (x.Length != (long)n * d)
            throw new ArgumentException($"Expected {n}×{d} = {(long)n * d} elements, got {x.Length}.", nameof(x));
        if (!(quantile >= 0 && quantile <= 1))
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "The quantile must lie in [0, 1].");
        var rows = SubsetRows(x, n, d, seed);
        int m = rows.Length;
        var xs = new double[m * d];
        for (int r = 0; r < m; r++)
            for (int k = 0; k < d; k++)
                xs[r * d + k] = double.CreateChecked(x[rows[r] * d + k]);
        double sigma0 = SumOfStd(xs, m, d);
        if (!(sigma0 > 0))
            return 1.0;
        using var affinity = device?.Backend is IlgpuBackend ilgpu ? ilgpu.SigmaRowSums(xs, m, d, kind) : new HostRowSums(xs, m, d, kind);
        var sums = new double[m];
        affinity.RowSums(sigma0, sums);
        var degrees = Array.ConvertAll(sums, s => s / m);
        double target = Quantile(degrees, quantile);
        double sigma = InitialSigma, low = 0, high = double.PositiveInfinity;
        double current = Mean(affinity, sigma, sums);
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
            current = Mean(affinity, sigma, sums);
        }
        return sigma;
    }

    /// <summary>Mean of all m² affinities at σ (row sums added in row order: deterministic); sums is scratch of length m.</summary>
    private static double Mean(IAffinityRowSums affinity, double sigma, double[] sums)
    {
        affinity.RowSums(sigma, sums);
        return sums.Sum() / ((double)sums.Length * sums.Length);
    }

    /// <summary>Linear-interpolation quantile (numpy's and torch's default).</summary>
    internal static double Quantile(double[] values, double q)
    {
        var s = (double[])values.Clone();
        Array.Sort(s);
        double pos = q * (s.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, s.Length - 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }

    /// <summary>Σ_k sample std of column k: each column's sums in row order, the rows walked once for all columns.</summary>
    private static double SumOfStd(double[] xs, int m, int d)
    {
        var mean = new double[d];
        var v = new double[d];
        for (int r = 0; r < m; r++)
            for (int k = 0; k < d; k++)
                mean[k] += xs[r * d + k];
        for (int k = 0; k < d; k++)
            mean[k] /= m;
        for (int r = 0; r < m; r++)
            for (int k = 0; k < d; k++)
                v[k] += (xs[r * d + k] - mean[k]) * (xs[r * d + k] - mean[k]);
        double total = 0;
        for (int k = 0; k < d; k++)
            total += Math.Sqrt(v[k] / Math.Max(m - 1, 1));
        return total;
    }
}
