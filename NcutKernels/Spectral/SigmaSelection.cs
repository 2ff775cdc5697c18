// SigmaSelection: ncut_pytorch's degree-quantile rule for choosing the affinity bandwidth σ (float64; pair terms on the host or an ILGPU device).
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Backends.Managed;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>
/// Chooses σ the way ncut_pytorch's <c>find_sigma_by_degree</c> does: on a subset of at most 1000 points
/// (all points when n ≤ 1000; otherwise farthest-point sampling, seeded, in an 8-dimensional random
/// projection, from 4000 evenly spaced candidates when n &gt; 4000), take the per-node mean affinities at
/// σ0 = Σ_k std(X[:, k]) and their <c>quantile</c> as the target; then, from σ = 0.5, double σ until the
/// mean of all affinities passes the target and bisect until it is within 1 % of it (at most 100 steps) — where ncut_pytorch
/// stops — and refine to the root, mean = target to 1e-12 (<see cref="Search"/>), so that σ scales with the data for any factor.
/// The subset, σ0 and the search run on the host in float64; the pair terms and the row sums of the affinity at
/// each σ the search asks for run on the host (managed CPU backend, no device) or, for an ILGPU device, as float64
/// kernels (<see cref="IlgpuSigma"/>, several σ per launch), whose σ equals the host's to the root's 1e-12 (their float64
/// sums round differently). For features resident on a device only the candidate rows are
/// copied to the host (<see cref="ByDegreeQuantile{T}(DeviceMatrix{T}, AffinityKind, double, int, Action{string})"/>).
/// For RBF the rule runs on the rows scaled by an exact 2^−e that puts their largest |x| in [1, 2) (<see cref="FeatureScale.Unit"/>),
/// and σ is scaled back by 2^e: the search thus starts at 0.5·2^e, near the data's scale, so no data are too large or too small
/// for its 100 steps or for float64, and σ(2^j·x) = 2^j·σ(x) exactly. Every σ the search visits before it bisects is a power of
/// two (0.5·2^j), and from any start on that grid the search reaches the same bracket [2^j, 2^(j+1)] ncut_pytorch's start 0.5
/// reaches; the refined root lies inside ncut_pytorch's 1 % band.
/// </summary>
internal static partial class SigmaSelection
{
    public const int SubsetSize = 1000, CandidateCount = 4000, ProjectionDims = 8, MaxSteps = 100;
    public const double InitialSigma = 0.5, RelativeTolerance = 1e-2;

    /// <summary>
    /// σ when the measured rows do not vary (σ0 = 0): every pair of them is at distance 0, so the graph they form is all ones
    /// whatever σ; RBF takes 1 in the units where max|x| ∈ [1, 2) (2^⌊log₂ max|x|⌋ in the features' units, 1 when x = 0),
    /// cosine 1.
    /// </summary>
    public const double DegenerateSigma = 1.0;

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
        return OnSubset(x, d, SubsetRows(x, n, d, seed), kind, quantile, device);
    }

    /// <summary>
    /// σ measured on the given rows of x (rows of d): σ0, then the search (<see cref="Search"/>), with the pair terms on
    /// <paramref name="device"/> when it is an ILGPU device. The float64 copy of the rows is rented from
    /// <see cref="ArrayPool{T}.Shared"/> and returned once the search is done.
    /// </summary>
    private static double OnSubset<T>(ReadOnlySpan<T> x, int d, int[] rows, AffinityKind kind, double quantile, ComputeDevice? device)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = rows.Length;
        var xs = ArrayPool<double>.Shared.Rent(m * d);
        try
        {
            Gather(x, d, rows, xs);
            // RBF: measured on the rows scaled by 2^−e into max|x| ∈ [1, 2) (exact), σ scaled back (see the class summary), and
            // centred (distances do not move; the pair terms' Gram expansion then cancels only as far as the rows spread).
            var unit = kind == AffinityKind.Rbf ? FeatureScale.Unit(FiniteScan.Scan<double>(xs.AsSpan(0, m * d)).MaxAbs) : default;
            if (!unit.IsIdentity)
                unit.Apply<double>(xs.AsSpan(0, m * d), xs);
            if (kind == AffinityKind.Rbf)
                ManagedBackend.CenterColumns(xs, m, d);
            double sigma0 = SumOfStd(xs, m, d);
            if (!(sigma0 > 0))
                return unit.ToUser(DegenerateSigma, kind);
            using var affinity = device?.Backend.SigmaRowSums(xs, m, d, kind) ?? new HostRowSums(xs, m, d, kind);
            return unit.ToUser(Search(affinity, m, sigma0, quantile), kind);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(xs);
        }
    }

    /// <summary>xs[r, :] = x[rows[r], :] as float64 (the first m·d elements of xs; rows in parallel).</summary>
    private static unsafe void Gather<T>(ReadOnlySpan<T> x, int d, int[] rows, double[] xs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* px = x)
        {
            nint address = (nint)px;
            Parallel.For(0, rows.Length, r => Widen(new ReadOnlySpan<T>((T*)address + (long)rows[r] * d, d), xs.AsSpan(r * d, d)));
        }
    }

    /// <summary>target[k] = source[k] as float64 (exact for float32 and float64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Widen<T>(ReadOnlySpan<T> source, Span<double> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var f = MemoryMarshal.Cast<T, float>(source);
            for (int k = 0; k < f.Length; k++)
                target[k] = f[k];
        }
        else
        {
            for (int k = 0; k < source.Length; k++)
                target[k] = double.CreateChecked(source[k]);
        }
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

    /// <summary>Columns per task of <see cref="SumOfStd"/> (a multiple of every vector width).</summary>
    private const int StdColumnsPerTask = 64;

    /// <summary>
    /// Σ_k sample std of column k: each column's mean and squared deviations summed in row order (columns are the vector lanes,
    /// blocks of <see cref="StdColumnsPerTask"/> columns in parallel), then the stds added in k order.
    /// </summary>
    private static double SumOfStd(double[] xs, int m, int d)
    {
        var mean = new double[d];
        var v = new double[d];
        Parallel.For(0, (d + StdColumnsPerTask - 1) / StdColumnsPerTask, task =>
            ColumnMoments(xs, m, d, task * StdColumnsPerTask, Math.Min(d, (task + 1) * StdColumnsPerTask), mean, v));
        double total = 0;
        for (int k = 0; k < d; k++)
            total += Math.Sqrt(v[k] / Math.Max(m - 1, 1));
        return total;
    }

    /// <summary>For columns [k0, k1): mean[k] = Σ_r xs[r, k] / m, then v[k] = Σ_r (xs[r, k] − mean[k])², each in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnMoments(double[] xs, int m, int d, int k0, int k1, double[] mean, double[] v)
    {
        int w = Vector<double>.Count, full = k0 + (k1 - k0) / w * w;
        for (int r = 0; r < m; r++)
        {
            ref double row = ref xs[r * d];
            int k = k0;
            for (; k < full; k += w)
                (Vector.LoadUnsafe(ref mean[0], (nuint)k) + Vector.LoadUnsafe(ref row, (nuint)k)).StoreUnsafe(ref mean[0], (nuint)k);
            for (; k < k1; k++)
                mean[k] += Unsafe.Add(ref row, k);
        }
        for (int k = k0; k < k1; k++)
            mean[k] /= m;
        for (int r = 0; r < m; r++)
        {
            ref double row = ref xs[r * d];
            int k = k0;
            for (; k < full; k += w)
            {
                var t = Vector.LoadUnsafe(ref row, (nuint)k) - Vector.LoadUnsafe(ref mean[0], (nuint)k);
                (Vector.LoadUnsafe(ref v[0], (nuint)k) + t * t).StoreUnsafe(ref v[0], (nuint)k);
            }
            for (; k < k1; k++)
                v[k] += (Unsafe.Add(ref row, k) - mean[k]) * (Unsafe.Add(ref row, k) - mean[k]);
        }
    }
}
