// NcutBackwardKernels: the fused backward of affinity (RBF or cosine) → normalization on the device (the twin of Backends/Managed/NcutBackward). Rule: the intermediates (s∘Bᵀ, d̄, S) are written with =; X̄ is accumulated with +=.
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Kernels;

/// <summary>
/// Backward of the "ncut-embedding" op (float32) from the low-rank adjoint M̄ = A·Bᵀ, rows a_i = ½[y_i, u_i] and
/// b_j = [u_j, y_j] of width 2k, with s = d^-1/2 (docs/MATH.md; Backends/Managed/NcutBackward is the float64 twin):
/// pass 1: Z = W·(s∘B) by the block product, d̄_i = −d_i^(−3/2)·a_i·z_i (<see cref="DegreeAdjoint"/>);
/// pass 2: S_ij = (2·a_i·b_j·s_i·s_j + d̄_i + d̄_j)·W_ij (<see cref="AdjointAffinityTile"/>), the row sums of S, S·X by
/// <see cref="BlasKernels.ProductPartial"/>, and X̄_i += −(1/σ²)·(rowsum(S)_i·x_i − (S·X)_i) (<see cref="AccumulateFeatureGradient"/>), or
/// for features far apart relative to σ X̄_i += −(1/σ²)·Σ_j S_ij·(x_i − x_j) (<see cref="AccumulateFeatureGradientDirect"/>).
/// The cosine affinity takes the same S tile with the slope matrix ∂W/∂(x̂_i·x̂_j) in place of W, S·X̂, and
/// <see cref="AccumulateCosineFeatureGradient"/>.
/// These kernels sit in their own file because the op they reverse is the fused chain, not one forward kernel.
/// </summary>
internal static class NcutBackwardKernels
{
    /// <summary>v[c, j] = s[j]·b[j, c]: B (n×width, row-major) scaled and stored as width vectors of length n. Index (j, c).</summary>
    public static void ScaledTranspose(Index2D idx, ArrayView<float> b, ArrayView<float> s, ArrayView<float> v, int n, int width)
    {
        int j = idx.X, c = idx.Y;
        v[(long)c * n + j] = s[j] * b[(long)j * width + c];
    }

    /// <summary>
    /// dBar[i] = dScale[i]·Σ_c a[i, c]·z[c, i], with z = W·(s∘B) as width vectors of length n and dScale = −d^(−3/2)
    /// (0 where the degree was clamped in the forward pass). One thread per row.
    /// </summary>
    public static void DegreeAdjoint(Index1D i, ArrayView<float> a, ArrayView<float> z, ArrayView<float> dScale, ArrayView<float> dBar, int n, int width)
    {
        float t = 0f;
        long o = (long)(int)i * width;
        for (int c = 0; c < width; c++)
            t += a[o + c] * z[(long)c * n + i];
        dBar[i] = dScale[i] * t;
    }

    /// <summary>
    /// S tile: S[i, j] = (2·(a_i·b_j)·s_i·s_j + d̄_i + d̄_j)·W[i, j], the dot products of width 2k register-blocked like the
    /// affinity (<see cref="Tile8x8"/>). Group (16, 16), grid (⌈n/128⌉, ⌈n/128⌉); every tile computes (no mirroring: S
    /// is symmetric only up to rounding, which the product S·X does not need).
    /// </summary>
    public static void AdjointAffinityTile(ArrayView<float> a, ArrayView<float> b, ArrayView<float> s, ArrayView<float> dBar, ArrayView<float> w,
        ArrayView<float> sOut, int n, int width)
    {
        var aS = SharedMemory.Allocate<float>(Tile8x8.Staged);
        var bS = SharedMemory.Allocate<float>(Tile8x8.Staged);
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * Tile8x8.Threads + tx;
        int i0 = Grid.IdxY * Tile8x8.Edge, j0 = Grid.IdxX * Tile8x8.Edge;
        Tile8x8 g = default;
        for (int k0 = 0; k0 < width; k0 += Tile8x8.Depth)
        {
            Tile8x8.LoadRows(aS, a, tid, i0, n, width, k0, width);
            Tile8x8.LoadRows(bS, b, tid, j0, n, width, k0, width);
            Group.Barrier();
            g = Tile8x8.Step(g, aS, bS, tx, ty);
            Group.Barrier();
        }
        StoreRow(g.R0, i0 + ty, j0 + tx, s, dBar, w, sOut, n);
        StoreRow(g.R1, i0 + ty + 16, j0 + tx, s, dBar, w, sOut, n);
        StoreRow(g.R2, i0 + ty + 32, j0 + tx, s, dBar, w, sOut, n);
        StoreRow(g.R3, i0 + ty + 48, j0 + tx, s, dBar, w, sOut, n);
        StoreRow(g.R4, i0 + ty + 64, j0 + tx, s, dBar, w, sOut, n);
        StoreRow(g.R5, i0 + ty + 80, j0 + tx, s, dBar, w, sOut, n);
        StoreRow(g.R6, i0 + ty + 96, j0 + tx, s, dBar, w, sOut, n);
        StoreRow(g.R7, i0 + ty + 112, j0 + tx, s, dBar, w, sOut, n);
    }

    private static void StoreRow(Row8 g, int row, int col0, ArrayView<float> s, ArrayView<float> dBar, ArrayView<float> w, ArrayView<float> sOut, int n)
    {
        if (row >= n)
            return;
        float si = s[row], di = dBar[row];
        long o = (long)row * n;
        for (int p = 0; p < 8; p++)
        {
            int col = col0 + 16 * p;
            if (col < n)
                sOut[o + col] = (2f * g.Get(p) * si * s[col] + di + dBar[col]) * w[o + col];
        }
    }

    /// <summary>
    /// gx[i, c] += −inv·(rowSums[i]·x[i, c] − Σ_sl part[sl, i, c]): X̄ from the row sums of S and the K-split partials of
    /// S·X (x centred, which leaves Σ_j S_ij·(x_i − x_j) unchanged), for rows i = row0 + idx.Y. Index (c, i − row0): launched in
    /// row bands (<c>RowBands</c>).
    /// </summary>
    public static void AccumulateFeatureGradient(Index2D idx, ArrayView<float> x, ArrayView<float> rowSums, ArrayView<float> part, ArrayView<float> gx,
        int n, int d, int slices, int row0, float inv)
    {
        int c = idx.X, i = row0 + idx.Y;
        long o = (long)i * d + c, plane = (long)n * d;
        float sx = 0f;
        for (int sl = 0; sl < slices; sl++)
            sx += part[sl * plane + o];
        gx[o] += -inv * (rowSums[i] * x[o] - sx);
    }

    /// <summary>
    /// The cosine affinity's X̄ from X̂̄ = S·X̂ (S built on the slope matrix, <see cref="KernelAffinity.CosineSlope"/>): with
    /// x̂̄_i = Σ_sl part[sl, i, ·], gx[i, c] += (x̂̄_i[c] − (x̂_i·x̂̄_i)·x̂_i[c]) / max(‖x_i‖, normFloor) — the unit rows'
    /// backward, which also removes the radial part that the Gram and the direct-difference forms of t differ by. One thread
    /// per row (d at most a few thousand).
    /// </summary>
    public static void AccumulateCosineFeatureGradient(Index1D i, ArrayView<float> xhat, ArrayView<float> sq, ArrayView<float> part, ArrayView<float> gx,
        int n, int d, int slices, float normFloor)
    {
        long row = (long)(int)i * d, plane = (long)n * d;
        float dot = 0f;
        for (int c = 0; c < d; c++)
        {
            float bar = 0f;
            for (int sl = 0; sl < slices; sl++)
                bar += part[sl * plane + row + c];
            dot += xhat[row + c] * bar;
        }
        float root = MathF.Sqrt(sq[i]), norm = root > normFloor ? root : normFloor;
        for (int c = 0; c < d; c++)
        {
            float bar = 0f;
            for (int sl = 0; sl < slices; sl++)
                bar += part[sl * plane + row + c];
            gx[row + c] += (bar - dot * xhat[row + c]) / norm;
        }
    }

    /// <summary>
    /// gx[i, c] += −inv·Σ_j S[i, j]·(x[i, c] − x[j, c]) from the differences themselves (pairs with S_ij = 0 skipped), for x far
    /// from itself relative to σ (the Backends/Managed/RbfFeatureRows direct path: rowsum·x − S·X would cancel), for rows
    /// i = row0 + idx.Y. Index (c, i − row0): launched in row bands (<c>RowBands</c>).
    /// </summary>
    public static void AccumulateFeatureGradientDirect(Index2D idx, ArrayView<float> x, ArrayView<float> sMat, ArrayView<float> gx, int n, int d,
        int row0, float inv)
    {
        int c = idx.X, i = row0 + idx.Y;
        long o = (long)i * d + c, so = (long)i * n;
        float xi = x[o], acc = 0f;
        for (int j = 0; j < n; j++)
        {
            float sij = sMat[so + j];
            if (sij != 0f)
                acc += sij * (xi - x[(long)j * d + c]);
        }
        gx[o] += -inv * acc;
    }
}
