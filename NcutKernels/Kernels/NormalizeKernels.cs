// NormalizeKernels: degrees (row sums) and M = D^-1/2 W D^-1/2 + shift·I. Rule: outputs written with = (Normalize rewrites W in place).
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Kernels;

/// <summary>Degree and symmetric-normalization kernels (float32).</summary>
internal static class NormalizeKernels
{
    /// <summary>
    /// sums[row] = Σ_j w[row, j], accumulated in float64 (a float32 running sum over n terms drifts by up to n·ε, which moves
    /// the normalized spectrum off [−1, 1]); one warp per row, fixed shuffle tree (deterministic). 1-D groups, a multiple of the warp size.
    /// </summary>
    public static void RowSumsWarp(ArrayView<float> w, ArrayView<float> sums, int n)
    {
        int ws = Warp.WarpSize;
        int row = Grid.IdxX * (Group.DimX / ws) + Warp.WarpIdx;
        if (row >= n)
            return;
        int lane = Warp.LaneIdx;
        long o = (long)row * n;
        double s = 0;
        for (int k = lane; k < n; k += ws)
            s += w[o + k];
        for (int off = ws / 2; off > 0; off >>= 1)
            s += Warp.ShuffleDown(s, off);
        if (lane == 0)
            sums[row] = (float)s;
    }

    /// <summary>s[i] = 1/√max(deg[i], floor).</summary>
    public static void InvSqrt(Index1D i, ArrayView<float> deg, ArrayView<float> s, float floor) =>
        s[i] = 1f / MathF.Sqrt(deg[i] > floor ? deg[i] : floor);

    /// <summary>w[i, j] = w[i, j]·s[i]·s[j] (+ shift on the diagonal), in place, for rows i = row0 + idx.Y. Index (j, i − row0): launched in row bands (<c>RowBands</c>).</summary>
    public static void Normalize(Index2D idx, ArrayView<float> w, ArrayView<float> s, int n, int row0, float shift)
    {
        int j = idx.X, i = row0 + idx.Y;
        long o = (long)i * n + j;
        float v = w[o] * s[i] * s[j];
        w[o] = i == j ? v + shift : v;
    }
}
