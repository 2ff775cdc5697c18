// SigmaSubset: the σ rule's point subset — seeded candidates, an 8-d random projection and a serial SIMD farthest-point walk.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NcutKernels.Spectral;

internal static partial class SigmaSelection
{
    /// <summary>The rows σ is measured on: all when n ≤ 1000, else a seeded farthest-point sample.</summary>
    internal static int[] SubsetRows<T>(ReadOnlySpan<T> x, int n, int d, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n <= SubsetSize)
            return Enumerable.Range(0, n).ToArray();
        var random = new Random(seed);
        int[] candidates;
        if (n > CandidateCount)
        {
            double spacing = (double)n / CandidateCount;
            double offset = random.NextDouble() * spacing;
            candidates = Enumerable.Range(0, CandidateCount).Select(i => Math.Min(n - 1, (int)(offset + i * spacing))).ToArray();
        }
        else
        {
            candidates = Enumerable.Range(0, n).ToArray();
        }
        int p = Math.Min(ProjectionDims, d);
        var proj = new double[d * p];
        for (int i = 0; i < proj.Length; i++)
            proj[i] = random.NextDouble() * 2 - 1;
        int stride = (candidates.Length + Vector<double>.Count - 1) / Vector<double>.Count * Vector<double>.Count;
        var yt = Project(x, d, candidates, proj, p, stride);
        var walk = FarthestWalk(yt, candidates.Length, stride, SubsetSize);
        return Array.ConvertAll(walk, r => candidates[r]);
    }

    /// <summary>
    /// yt[e·stride + r] = Σ_k x[candidates[r], k]·proj[k, e], summed in k order (float64), stored transposed
    /// (<see cref="ProjectionDims"/> × stride; padding columns, and rows e ≥ p when d &lt; 8, zero: they add exact zeros to
    /// every distance); rows in parallel, the p outputs of a row as vector lanes.
    /// </summary>
    private static double[] Project<T>(ReadOnlySpan<T> x, int d, int[] candidates, double[] proj, int p, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var yt = new double[ProjectionDims * stride];
        var rows = new T[candidates.Length * d];
        for (int r = 0; r < candidates.Length; r++)
            x.Slice(candidates[r] * d, d).CopyTo(rows.AsSpan(r * d, d));
        int w = Vector<double>.Count, full = p / w * w;
        Parallel.For(0, candidates.Length, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (r) =>
        {
            Span<double> acc = stackalloc double[p];
            acc.Clear();
            var row = new ReadOnlySpan<T>(rows, r * d, d);
            for (int k = 0; k < d; k++)
            {
                double v = double.CreateChecked(row[k]);
                ref double pk = ref proj[k * p];
                int e = 0;
                for (; e < full; e += w)
                {
                    var a = Vector.LoadUnsafe(ref MemoryMarshal.GetReference(acc), (nuint)e);
                    (a + v * Vector.LoadUnsafe(ref pk, (nuint)e)).StoreUnsafe(ref MemoryMarshal.GetReference(acc), (nuint)e);
                }
                for (; e < p; e++)
                    acc[e] += v * Unsafe.Add(ref pk, e);
            }
            for (int e = 0; e < p; e++)
                yt[e * stride + r] = acc[e];
        });
        return yt;
    }

    /// <summary>
    /// Greedy farthest-point walk over the columns of yt (8 × stride, c real columns): starts at column 0; each step picks
    /// the column whose squared distance (Σ_e in e order, float64) to its nearest picked column is largest, ties to the
    /// lowest index. Serial; the candidates are the vector lanes, so every distance is the scalar loop's bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] FarthestWalk(double[] yt, int c, int stride, int count)
    {
        int w = Vector<double>.Count;
        var dist = new double[stride];
        Array.Fill(dist, double.PositiveInfinity, 0, c);
        Array.Fill(dist, double.NegativeInfinity, c, stride - c);
        ref double y0 = ref yt[0], y1 = ref yt[stride], y2 = ref yt[2 * stride], y3 = ref yt[3 * stride];
        ref double y4 = ref yt[4 * stride], y5 = ref yt[5 * stride], y6 = ref yt[6 * stride], y7 = ref yt[7 * stride];
        ref double dist0 = ref dist[0];
        var step = new Vector<long>(w);
        var chosen = new int[count];
        int current = 0;
        for (int s = 0; s < count; s++)
        {
            chosen[s] = current;
            var c0 = new Vector<double>(Unsafe.Add(ref y0, current));
            var c1 = new Vector<double>(Unsafe.Add(ref y1, current));
            var c2 = new Vector<double>(Unsafe.Add(ref y2, current));
            var c3 = new Vector<double>(Unsafe.Add(ref y3, current));
            var c4 = new Vector<double>(Unsafe.Add(ref y4, current));
            var c5 = new Vector<double>(Unsafe.Add(ref y5, current));
            var c6 = new Vector<double>(Unsafe.Add(ref y6, current));
            var c7 = new Vector<double>(Unsafe.Add(ref y7, current));
            var bestValue = new Vector<double>(double.NegativeInfinity);
            var bestIndex = Vector<long>.Zero;
            var index = Vector<long>.Indices;
            for (nuint r = 0; r < (nuint)stride; r += (nuint)w, index += step)
            {
                var t = Vector.LoadUnsafe(ref y0, r) - c0;
                var dd = t * t;
                t = Vector.LoadUnsafe(ref y1, r) - c1;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y2, r) - c2;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y3, r) - c3;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y4, r) - c4;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y5, r) - c5;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y6, r) - c6;
                dd += t * t;
                t = Vector.LoadUnsafe(ref y7, r) - c7;
                dd += t * t;
                var old = Vector.LoadUnsafe(ref dist0, r);
                var nearest = Vector.ConditionalSelect(Vector.LessThan(dd, old), dd, old);
                nearest.StoreUnsafe(ref dist0, r);
                var better = Vector.GreaterThan(nearest, bestValue);
                bestValue = Vector.ConditionalSelect(better, nearest, bestValue);
                bestIndex = Vector.ConditionalSelect(better, index, bestIndex);
            }
            current = (int)bestIndex[0];
            for (int l = 1; l < w; l++)
                if (bestValue[l] > dist[current] || (bestValue[l] == dist[current] && bestIndex[l] < current))
                    current = (int)bestIndex[l];
        }
        return chosen;
    }
}
