// AffinityKernels: RBF / cosine affinity W (n×n) from X (n×d), register-blocked on GPU. Rule: every output is written with =.
using ILGPU;
using ILGPU.Runtime;

namespace NcutKernels.Kernels;

/// <summary>
/// Affinity kernels (float32). The tile kernel computes a 128×128 block of W per 16×16 group,
/// 8×8 outputs per thread held in registers, stepping 8 features at a time through shared memory.
/// Loads outside the matrix read zero and stores outside are skipped, so any n and d work.
/// </summary>
internal static class AffinityKernels
{
    public const int TileEdge = 128, TileK = 8, ThreadsPerEdge = 16, Stride = TileEdge + 4;
    public const int KindRbf = 0, KindCosine = 1;

    /// <summary>Columns and row lanes of a group of <see cref="ColumnMeans"/> (their product is its group size).</summary>
    public const int MeanColumns = 8, MeanLanes = 32, MeanGroup = MeanColumns * MeanLanes;

    /// <summary>
    /// mean[k] = (1/n)·Σ_i x[i, k], accumulated in float64 in a fixed order. A group of 8 columns × 32 row lanes (a warp
    /// reads four rows × eight columns, 32-byte segments): lane l sums rows l + 32m into four partial sums by m mod 4 (four
    /// independent loads in flight per thread), combined as (s0 + s1) + (s2 + s3); then the 32 lane sums of a column are
    /// added in lane order. 1-D groups of <see cref="MeanGroup"/>, grid ⌈d/8⌉.
    /// </summary>
    public static void ColumnMeans(ArrayView<float> x, ArrayView<float> mean, int n, int d)
    {
        var lanes = SharedMemory.Allocate<double>(MeanGroup);
        int t = Group.IdxX, c = t % MeanColumns, l = t / MeanColumns, k = Grid.IdxX * MeanColumns + c;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (k < d)
        {
            int i = l;
            for (; i + 3 * MeanLanes < n; i += 4 * MeanLanes)
            {
                s0 += x[(long)i * d + k];
                s1 += x[(long)(i + MeanLanes) * d + k];
                s2 += x[(long)(i + 2 * MeanLanes) * d + k];
                s3 += x[(long)(i + 3 * MeanLanes) * d + k];
            }
            if (i < n)
                s0 += x[(long)i * d + k];
            if (i + MeanLanes < n)
                s1 += x[(long)(i + MeanLanes) * d + k];
            if (i + 2 * MeanLanes < n)
                s2 += x[(long)(i + 2 * MeanLanes) * d + k];
        }
        lanes[t] = (s0 + s1) + (s2 + s3);
        Group.Barrier();
        if (l != 0 || k >= d)
            return;
        double s = 0;
        for (int j = 0; j < MeanLanes; j++)
            s += lanes[j * MeanColumns + c];
        mean[k] = (float)(s / n);
    }

    /// <summary>xc[i, k] = x[i, k] − mean[k] for rows i = row0 + idx.Y. Index (k, i − row0): launched in row bands (<see cref="Backends.RowBands"/>).</summary>
    public static void SubtractMeans(Index2D idx, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> xc, int d, int row0)
    {
        long o = (long)(row0 + idx.Y) * d + idx.X;
        xc[o] = x[o] - mean[idx.X];
    }

    /// <summary>sq[i] = ‖x_i‖². One thread per row.</summary>
    public static void RowSquaredNorms(Index1D i, ArrayView<float> x, ArrayView<float> sq, int d)
    {
        float s = 0f;
        long o = (long)(int)i * d;
        for (int k = 0; k < d; k++)
            s += x[o + k] * x[o + k];
        sq[i] = s;
    }

    /// <summary>xhat[i, k] = x[i, k] / max(‖x_i‖, floor) for rows i = row0 + idx.Y. Index (k, i − row0): launched in row bands (<see cref="Backends.RowBands"/>).</summary>
    public static void NormalizeRows(Index2D idx, ArrayView<float> x, ArrayView<float> sq, ArrayView<float> xhat, int d, int row0, float floor)
    {
        int k = idx.X, i = row0 + idx.Y;
        long o = (long)i * d + k;
        xhat[o] = x[o] / XMathMax(MathF.Sqrt(sq[i]), floor);
    }

    private static float XMathMax(float a, float b) => a > b ? a : b;

    /// <summary>
    /// W tile: g = x_i·x_j by register blocking, then RBF: exp(−max(0, sq_i + sq_j − 2g)·scale) (exactly 1 on the
    /// diagonal) or cosine: exp(−(1 − g)²·scale) + cosineFloor. Group (16, 16), grid (⌈n/128⌉, ⌈n/128⌉): only
    /// tiles on or above the diagonal compute, and write their mirror too, so W is exactly symmetric.
    /// </summary>
    public static void AffinityTile(ArrayView<float> x, ArrayView<float> sq, ArrayView<float> w, int n, int d, int kind, float scale, float cosineFloor)
    {
        if (Grid.IdxX < Grid.IdxY)
            return;
        bool mirror = Grid.IdxX != Grid.IdxY;
        var As = SharedMemory.Allocate<float>(TileK * Stride);
        var Bs = SharedMemory.Allocate<float>(TileK * Stride);
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * ThreadsPerEdge + tx;
        int i0 = Grid.IdxY * TileEdge, j0 = Grid.IdxX * TileEdge;
        Row8 c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int k0 = 0; k0 < d; k0 += TileK)
        {
            for (int l = 0; l < 4; l++)
            {
                int e = tid + 256 * l, r = e >> 3, kk = e & 7, gk = k0 + kk;
                int gi = i0 + r, gj = j0 + r;
                As[kk * Stride + r] = gi < n && gk < d ? x[(long)gi * d + gk] : 0f;
                Bs[kk * Stride + r] = gj < n && gk < d ? x[(long)gj * d + gk] : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int ao = kk * Stride + ty, bo = kk * Stride + tx;
                var b = new Row8(Bs[bo], Bs[bo + 16], Bs[bo + 32], Bs[bo + 48], Bs[bo + 64], Bs[bo + 80], Bs[bo + 96], Bs[bo + 112]);
                c0 = Row8.Fma(c0, As[ao], b);
                c1 = Row8.Fma(c1, As[ao + 16], b);
                c2 = Row8.Fma(c2, As[ao + 32], b);
                c3 = Row8.Fma(c3, As[ao + 48], b);
                c4 = Row8.Fma(c4, As[ao + 64], b);
                c5 = Row8.Fma(c5, As[ao + 80], b);
                c6 = Row8.Fma(c6, As[ao + 96], b);
                c7 = Row8.Fma(c7, As[ao + 112], b);
            }
            Group.Barrier();
        }
        StoreRow(c0, i0 + ty, j0 + tx, sq, w, n, kind, scale, cosineFloor, mirror);
        StoreRow(c1, i0 + ty + 16, j0 + tx, sq, w, n, kind, scale, cosineFloor, mirror);
        StoreRow(c2, i0 + ty + 32, j0 + tx, sq, w, n, kind, scale, cosineFloor, mirror);
        StoreRow(c3, i0 + ty + 48, j0 + tx, sq, w, n, kind, scale, cosineFloor, mirror);
        StoreRow(c4, i0 + ty + 64, j0 + tx, sq, w, n, kind, scale, cosineFloor, mirror);
        StoreRow(c5, i0 + ty + 80, j0 + tx, sq, w, n, kind, scale, cosineFloor, mirror);
        StoreRow(c6, i0 + ty + 96, j0 + tx, sq, w, n, kind, scale, cosineFloor, mirror);
        StoreRow(c7, i0 + ty + 112, j0 + tx, sq, w, n, kind, scale, cosineFloor, mirror);
    }

    private static void StoreRow(Row8 g, int row, int col0, ArrayView<float> sq, ArrayView<float> w, int n, int kind, float scale, float cosineFloor, bool mirror)
    {
        if (row >= n)
            return;
        float sqi = sq[row];
        for (int p = 0; p < 8; p++)
        {
            int col = col0 + 16 * p;
            if (col < n)
            {
                float v = Epilogue(g.Get(p), sqi, sq[col], row == col, kind, scale, cosineFloor);
                w[(long)row * n + col] = v;
                if (mirror)
                    w[(long)col * n + row] = v;
            }
        }
    }

    /// <summary>The affinity from a dot product; the managed backend applies the same formula.</summary>
    private static float Epilogue(float g, float sqi, float sqj, bool diagonal, int kind, float scale, float cosineFloor)
    {
        if (kind == KindRbf)
        {
            float d2 = diagonal ? 0f : XMathMax(0f, sqi + sqj - (g + g));
            return MathF.Exp(-d2 * scale);
        }
        float t = 1f - g;
        return MathF.Exp(-t * t * scale) + cosineFloor;
    }
}
