// SigmaKernels: float64 pair terms and batched per-σ affinity row sums for the σ rule (SigmaSelection). Rule: outputs written with =.
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Kernels;

/// <summary>
/// The σ rule's device side, in float64: the pair terms of a point subset (one 16×16 shared-memory tile per group) and,
/// for a batch of σ at once, the row sums of the affinity (one warp per row and σ, fixed shuffle tree: deterministic).
/// exp is computed here (<see cref="Exp"/>, within a few ulp) so the result does not depend on the backend's
/// double-precision exp.
/// </summary>
internal static class SigmaKernels
{
    public const int Tile = 16, Stride = Tile + 1;

    /// <summary>
    /// pair[i, j] for x (m×d): g = x_i·x_j summed in k order, then RBF: max(0, norms_i + norms_j − 2g), 0 on the
    /// diagonal (norms = ‖x‖²), or cosine: g/(norms_i·norms_j) (norms = floored ‖x‖). Group (16, 16), grid (⌈m/16⌉, ⌈m/16⌉).
    /// </summary>
    public static void PairTerms(ArrayView<double> x, ArrayView<double> norms, ArrayView<double> pair, int m, int d, int kind)
    {
        var a = SharedMemory.Allocate<double>(Tile * Stride);
        var b = SharedMemory.Allocate<double>(Tile * Stride);
        int tx = Group.IdxX, ty = Group.IdxY;
        int i0 = Grid.IdxY * Tile, j0 = Grid.IdxX * Tile, i = i0 + ty, j = j0 + tx;
        double g = 0;
        for (int k0 = 0; k0 < d; k0 += Tile)
        {
            int k = k0 + tx;
            a[ty * Stride + tx] = i0 + ty < m && k < d ? x[(long)(i0 + ty) * d + k] : 0;
            b[ty * Stride + tx] = j0 + ty < m && k < d ? x[(long)(j0 + ty) * d + k] : 0;
            Group.Barrier();
            int steps = d - k0 < Tile ? d - k0 : Tile;
            for (int kk = 0; kk < steps; kk++)
                g += a[ty * Stride + kk] * b[tx * Stride + kk];
            Group.Barrier();
        }
        if (i >= m || j >= m)
            return;
        double v;
        if (kind == KernelAffinity.Rbf)
        {
            double d2 = norms[i] + norms[j] - 2 * g;
            v = i == j ? 0 : (d2 > 0 ? d2 : 0);
        }
        else
        {
            v = g / (norms[i] * norms[j]);
        }
        pair[(long)i * m + j] = v;
    }

    /// <summary>
    /// sums[b·m + row] = Σ_j K(pair[row, j]) at scales[b]: RBF exp(pair·scale), cosine exp((1 − pair)²·scale) + floor,
    /// scale = −1/(2σ_b²). One warp per (row, b); 1-D groups, a multiple of the warp size; grid (⌈m / warps per group⌉, batch).
    /// A row's sum at a scale does not depend on the batch it is evaluated in.
    /// </summary>
    public static void AffinityRowSums(ArrayView<double> pair, ArrayView<double> scales, ArrayView<double> sums, int m, int kind, double floor)
    {
        int ws = Warp.WarpSize;
        int row = Grid.IdxX * (Group.DimX / ws) + Warp.WarpIdx, b = Grid.IdxY;
        if (row >= m)
            return;
        int lane = Warp.LaneIdx;
        long o = (long)row * m;
        double scale = scales[b];
        double s = 0;
        for (int j = lane; j < m; j += ws)
        {
            double p = pair[o + j];
            if (kind == KernelAffinity.Rbf)
            {
                s += Exp(p * scale);
            }
            else
            {
                double t = 1 - p;
                s += Exp(t * t * scale) + floor;
            }
        }
        for (int off = ws / 2; off > 0; off >>= 1)
            s += Warp.ShuffleDown(s, off);
        if (lane == 0)
            sums[(long)b * m + row] = s;
    }

    private const double Log2E = 1.4426950408889634, Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10;

    /// <summary>
    /// e^x for x ≤ 709: x = k·ln 2 + r (Cody–Waite, |r| ≤ ln 2 / 2), e^r by its Taylor series to r¹³/13! (Horner), times 2^k
    /// built from the exponent bits (in two factors below 2^−1022); 0 below −745.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static double Exp(double x)
    {
        if (x < -745.2)
            return 0;
        double y = x * Log2E;
        int k = (int)(y < 0 ? y - 0.5 : y + 0.5);
        double r = x - k * Ln2Hi - k * Ln2Lo;
        double p = 1.0 / 6227020800;
        p = p * r + 1.0 / 479001600;
        p = p * r + 1.0 / 39916800;
        p = p * r + 1.0 / 3628800;
        p = p * r + 1.0 / 362880;
        p = p * r + 1.0 / 40320;
        p = p * r + 1.0 / 5040;
        p = p * r + 1.0 / 720;
        p = p * r + 1.0 / 120;
        p = p * r + 1.0 / 24;
        p = p * r + 1.0 / 6;
        p = p * r + 0.5;
        p = p * r + 1;
        p = p * r + 1;
        if (k >= -1022)
            return p * Interop.IntAsFloat((ulong)(k + 1023) << 52);
        return p * Interop.IntAsFloat((ulong)(k + 1023 + 64) << 52) * Interop.IntAsFloat((ulong)(1023 - 64) << 52);
    }
}
