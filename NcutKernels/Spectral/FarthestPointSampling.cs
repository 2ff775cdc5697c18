// FarthestPointSampling: seeded, deterministic farthest-point sampling of matrix rows (host, float64, or the walk on a device) for k-way and Nyström.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NcutKernels.Backends.Managed;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>
/// Greedy farthest-point sampling as ncut_pytorch's <c>farthest_point_sampling</c> uses it, made deterministic:
/// when n is more than <see cref="MaxDrawRatio"/> times the sample, candidates are first drawn evenly spaced
/// with a seeded offset; rows wider than <see cref="ProjectionDims"/> are compared in a seeded random
/// orthonormal projection to that many dimensions; the walk starts at the first candidate (ncut_pytorch's
/// fpsample starts at a random one) and ties go to the lowest index. A row is never picked twice.
/// </summary>
internal static class FarthestPointSampling
{
    public const double MaxDrawRatio = 4;
    public const int ProjectionDims = 8;

    /// <summary>Row indices of <paramref name="count"/> spread-out rows of x (n×d, row-major); all rows, in order, when count ≥ n.</summary>
    public static int[] Sample(double[] x, int n, int d, int count, int seed)
    {
        if (count >= n)
            return Enumerable.Range(0, n).ToArray();
        var (candidates, y, p) = Project<double>(x, n, d, count, seed);
        return FarthestPointWalk.Greedy(y, candidates.Length, p, count).Select(i => candidates[i]).ToArray();
    }

    /// <summary>
    /// As <see cref="Sample(double[], int, int, int, int)"/>, with the walk run by the device's
    /// <see cref="Backends.Backend.FarthestPointSample{T}"/> on the projected candidates (uploaded as T; the candidates and
    /// the projection are drawn on the host).
    /// </summary>
    public static int[] Sample<T>(ComputeDevice device, ReadOnlySpan<T> x, int n, int d, int count, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (count >= n)
            return Enumerable.Range(0, n).ToArray();
        var (candidates, y, p) = Project(x, n, d, count, seed);
        return Walk<T>(device, y, candidates, p, count);
    }

    /// <summary>
    /// As <see cref="Sample{T}(ComputeDevice, ReadOnlySpan{T}, int, int, int, int)"/> for x resident on the device (the same
    /// picks): only the candidate rows are gathered there and copied to the host for the projection.
    /// </summary>
    public static int[] Sample<T>(ComputeDevice device, DeviceMatrix<T> x, int count, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Rows, d = x.Cols;
        if (count >= n)
            return Enumerable.Range(0, n).ToArray();
        var (candidates, random) = Candidates(n, count, seed);
        using var rows = StagedRows<T>.Of(x, candidates); // every row a candidate: x itself is downloaded, no gathered copy
        var y = Project<T>(rows.Span, candidates, d, random, false);
        return Walk<T>(device, y, candidates, Math.Min(d, ProjectionDims), count);
    }

    /// <summary>The device walk over projected candidates y (c×p): uploaded as T, picks mapped back to candidate rows.</summary>
    private static int[] Walk<T>(ComputeDevice device, double[] y, int[] candidates, int p, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var points = new T[y.Length];
        for (long e = 0; e < y.Length; e++)
            points[e] = T.CreateChecked(y[e]);
        using var m = DeviceMatrix<T>.Upload(device, points, candidates.Length, p);
        return device.Backend.FarthestPointSample(m.All, count).Select(i => candidates[i]).ToArray();
    }

    /// <summary>
    /// The candidate rows (all, or <see cref="MaxDrawRatio"/>·count evenly spaced from a seeded offset) and their coordinates
    /// (c×p, row-major, float64): the rows themselves when d ≤ <see cref="ProjectionDims"/>, else their seeded random
    /// orthonormal projection to p = <see cref="ProjectionDims"/> dimensions. Requires count &lt; n.
    /// </summary>
    private static (int[] candidates, double[] y, int p) Project<T>(ReadOnlySpan<T> x, int n, int d, int count, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (candidates, random) = Candidates(n, count, seed);
        return (candidates, Project(x, candidates, d, random, true), Math.Min(d, ProjectionDims));
    }

    /// <summary>The candidate rows of <see cref="Project{T}(ReadOnlySpan{T}, int, int, int, int)"/> and the generator after drawing them (the projection draws next).</summary>
    private static (int[] candidates, Random random) Candidates(int n, int count, int seed)
    {
        var random = new Random(seed);
        int draw = (int)Math.Min(n, Math.Max(count, (long)(count * MaxDrawRatio)));
        if (draw >= n)
            return (Enumerable.Range(0, n).ToArray(), random);
        double stride = (double)n / draw;
        double offset = random.NextDouble() * stride;
        return (Enumerable.Range(0, draw).Select(i => Math.Min(n - 1, (int)Math.Floor(offset + i * stride))).ToArray(), random);
    }

    /// <summary>
    /// The candidates' coordinates (c×p, float64) in the seeded projection drawn from <paramref name="random"/>: row r is
    /// x's row candidates[r] when <paramref name="indexed"/>, else x's row r (x already holds just the candidate rows).
    /// </summary>
    private static unsafe double[] Project<T>(ReadOnlySpan<T> x, int[] candidates, int d, Random random, bool indexed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int p = Math.Min(d, ProjectionDims);
        var basis = p < d ? RandomOrthonormal(d, p, random) : null;
        int c = candidates.Length;
        var y = new double[(long)c * p];
        // Rows in parallel blocks straight from x (pinned: a span cannot enter the workers); each output is summed over k in
        // order from 0, the same arithmetic as a scalar loop, so the projection does not depend on the blocking.
        fixed (T* start = x)
        {
            nint address = (nint)start;
            Parallel.For(0, (c + ProjectionBlock - 1) / ProjectionBlock, b =>
            {
                Span<double> acc = stackalloc double[ProjectionDims];
                for (int r = b * ProjectionBlock, end = Math.Min(c, r + ProjectionBlock); r < end; r++)
                {
                    var src = new ReadOnlySpan<T>((T*)address + (long)(indexed ? candidates[r] : r) * d, d);
                    var dst = y.AsSpan((int)((long)r * p), p);
                    if (basis is null)
                    {
                        for (int k = 0; k < d; k++)
                            dst[k] = double.CreateChecked(src[k]);
                        continue;
                    }
                    ProjectRow(src, basis, p, acc);
                    acc[..p].CopyTo(dst);
                }
            });
        }
        return y;
    }

    private const int ProjectionBlock = 256;

    /// <summary>acc[e] = Σ_k row[k]·basis[k, e] for e &lt; p (k ascending from 0; basis d×p row-major), eight lanes at once when p = 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProjectRow<T>(ReadOnlySpan<T> row, double[] basis, int p, Span<double> acc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (p == 8 && Vector256.IsHardwareAccelerated)
        {
            Vector256<double> lo = Vector256<double>.Zero, hi = Vector256<double>.Zero;
            ref double b0 = ref basis[0];
            for (int k = 0; k < row.Length; k++)
            {
                var v = Vector256.Create(double.CreateChecked(row[k]));
                // Multiply, then add (never fused), as the scalar loop rounds.
                lo += v * Vector256.LoadUnsafe(ref b0, (nuint)(k * 8));
                hi += v * Vector256.LoadUnsafe(ref b0, (nuint)(k * 8 + 4));
            }
            lo.CopyTo(acc);
            hi.CopyTo(acc[4..]);
            return;
        }
        acc[..p].Clear();
        for (int k = 0; k < row.Length; k++)
        {
            double v = double.CreateChecked(row[k]);
            for (int e = 0; e < p; e++)
                acc[e] += v * basis[k * p + e];
        }
    }

    /// <summary>A d×p matrix (row-major) with orthonormal columns: Gaussian entries, then modified Gram–Schmidt (as ncut_pytorch's random_orthogonal_projection).</summary>
    private static double[] RandomOrthonormal(int d, int p, Random random)
    {
        var q = new double[d * p];
        for (int i = 0; i < q.Length; i++)
            q[i] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        for (int j = 0; j < p; j++)
        {
            for (int i = 0; i < j; i++)
            {
                double dot = 0;
                for (int k = 0; k < d; k++)
                    dot += q[k * p + i] * q[k * p + j];
                for (int k = 0; k < d; k++)
                    q[k * p + j] -= dot * q[k * p + i];
            }
            double norm = 0;
            for (int k = 0; k < d; k++)
                norm += q[k * p + j] * q[k * p + j];
            norm = Math.Sqrt(norm);
            for (int k = 0; k < d; k++)
                q[k * p + j] /= norm;
        }
        return q;
    }
}
