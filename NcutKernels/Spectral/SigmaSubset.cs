// SigmaSubset: the σ rule's point subset — seeded candidates, their 8-d random projection (blocks of rows in parallel) and the walk.
using System.Numerics;
using System.Runtime.CompilerServices;

namespace NcutKernels.Spectral;

internal static partial class SigmaSelection
{
    /// <summary>Candidate rows per task of the projection (a multiple of every vector width).</summary>
    private const int ProjectionRowsPerTask = 64;

    /// <summary>The rows σ is measured on: all when n ≤ 1000, else a seeded farthest-point sample (<see cref="SigmaWalk"/>).</summary>
    internal static int[] SubsetRows<T>(ReadOnlySpan<T> x, int n, int d, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (candidates, random) = Candidates(n, seed);
        return SubsetOf(x, d, candidates, random);
    }

    /// <summary>
    /// The rows the subset is drawn from — <see cref="CandidateCount"/> evenly spaced from a seeded offset when n &gt;
    /// <see cref="CandidateCount"/>, else all n — and the seeded stream after the offset, which <see cref="SubsetOf{T}"/> draws
    /// the projection from.
    /// </summary>
    internal static (int[] Candidates, Random Random) Candidates(int n, int seed)
    {
        var random = new Random(seed);
        if (n <= CandidateCount)
            return (Enumerable.Range(0, n).ToArray(), random);
        double spacing = (double)n / CandidateCount;
        double offset = random.NextDouble() * spacing;
        return (Enumerable.Range(0, CandidateCount).Select(i => Math.Min(n - 1, (int)(offset + i * spacing))).ToArray(), random);
    }

    /// <summary>
    /// The subset of the candidate rows of x (rows of d): all of them when there are at most <see cref="SubsetSize"/>, else the
    /// first <see cref="SubsetSize"/> picks of the farthest-point walk in their projection onto a random d × min(8, d) matrix
    /// drawn from <paramref name="random"/>. Only the candidate rows of x are read.
    /// </summary>
    internal static int[] SubsetOf<T>(ReadOnlySpan<T> x, int d, int[] candidates, Random random) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (candidates.Length <= SubsetSize)
            return candidates;
        int p = Math.Min(ProjectionDims, d);
        var proj = new double[d * p];
        for (int i = 0; i < proj.Length; i++)
            proj[i] = random.NextDouble() * 2 - 1;
        int stride = (candidates.Length + Vector<double>.Count - 1) / Vector<double>.Count * Vector<double>.Count;
        var yt = Project(x, d, candidates, proj, p, stride);
        var walk = SigmaWalk.Walk(yt, candidates.Length, stride, SubsetSize);
        return Array.ConvertAll(walk, r => candidates[r]);
    }

    /// <summary>
    /// yt[e·stride + r] = Σ_k x[candidates[r], k]·proj[k, e], summed in k order (float64, multiply then add), stored transposed
    /// (<see cref="ProjectionDims"/> × stride; padding columns, and rows e ≥ p when d &lt; 8, zero: they add exact zeros to
    /// every distance); tasks of <see cref="ProjectionRowsPerTask"/> candidates in parallel.
    /// </summary>
    private static unsafe double[] Project<T>(ReadOnlySpan<T> x, int d, int[] candidates, double[] proj, int p, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var yt = new double[ProjectionDims * stride];
        var wide = new double[d * ProjectionDims];
        for (int k = 0; k < d; k++)
            for (int e = 0; e < p; e++)
                wide[k * ProjectionDims + e] = proj[k * p + e];
        fixed (T* px = x)
        {
            nint address = (nint)px;
            Parallel.For(0, (stride + ProjectionRowsPerTask - 1) / ProjectionRowsPerTask, task =>
            {
                var xt = new double[d * Vector<double>.Count];
                int end = Math.Min(stride, (task + 1) * ProjectionRowsPerTask);
                for (int r0 = task * ProjectionRowsPerTask; r0 < end; r0 += Vector<double>.Count)
                    ProjectLanes((T*)address, d, candidates, r0, wide, xt, yt, stride, p);
            });
        }
        return yt;
    }

    /// <summary>
    /// Projects candidates r0 … r0 + w − 1 (w = Vector&lt;double&gt;.Count; the candidates are the vector lanes): their rows are
    /// first copied to xt (d × w, float64; zero past the last candidate), then one accumulator per output dimension.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ProjectLanes<T>(T* x, int d, int[] candidates, int r0, double[] wide, double[] xt, double[] yt, int stride, int p)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<double>.Count;
        for (int l = 0; l < w; l++)
        {
            if (r0 + l >= candidates.Length)
            {
                for (int k = 0; k < d; k++)
                    xt[k * w + l] = 0;
                continue;
            }
            T* row = x + (long)candidates[r0 + l] * d;
            if (typeof(T) == typeof(float))
                for (int k = 0; k < d; k++)
                    xt[k * w + l] = ((float*)row)[k];
            else if (typeof(T) == typeof(double))
                for (int k = 0; k < d; k++)
                    xt[k * w + l] = ((double*)row)[k];
            else
                for (int k = 0; k < d; k++)
                    xt[k * w + l] = double.CreateChecked(row[k]);
        }
        Vector<double> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        fixed (double* pw = wide, px = xt)
        {
            for (int k = 0; k < d; k++)
            {
                var v = Vector.Load(px + k * w);
                double* pk = pw + k * ProjectionDims;
                a0 += v * new Vector<double>(pk[0]);
                a1 += v * new Vector<double>(pk[1]);
                a2 += v * new Vector<double>(pk[2]);
                a3 += v * new Vector<double>(pk[3]);
                a4 += v * new Vector<double>(pk[4]);
                a5 += v * new Vector<double>(pk[5]);
                a6 += v * new Vector<double>(pk[6]);
                a7 += v * new Vector<double>(pk[7]);
            }
        }
        ReadOnlySpan<Vector<double>> sums = [a0, a1, a2, a3, a4, a5, a6, a7];
        for (int e = 0; e < p; e++)
            sums[e].CopyTo(yt, e * stride + r0);
    }
}
