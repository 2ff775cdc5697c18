// AffinityKernels: RBF / cosine affinity W (n×n) from X (n×d), register-blocked on GPU (Gram expansion, or direct differences). Rule: every output is written with =.
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

    /// <summary>xc[i, k] = x[i, k] − mean[k] for rows i = row0 + idx.Y. Index (k, i − row0): launched in row bands (<c>RowBands</c>).</summary>
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

    /// <summary>xhat[i, k] = x[i, k] / max(‖x_i‖, floor) for rows i = row0 + idx.Y. Index (k, i − row0): launched in row bands (<c>RowBands</c>).</summary>
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
        var aS = SharedMemory.Allocate<float>(Tile8x8.Staged);
        var bS = SharedMemory.Allocate<float>(Tile8x8.Staged);
        StoreTile(Accumulate(aS, bS, x, n, d, distances: false), sq, w, n, new Epilogues(kind, scale, cosineFloor, 0f, false));
    }

    /// <summary>
    /// W tile from direct differences, the twin of the managed backend's direct path (for pairs whose Gram expansion would
    /// cancel: clusters far apart relative to σ, tiny σ; see AffinityMath.UsesDirectDifferences): g = Σ_k (x_ik − x_jk)² by the
    /// register blocking of <see cref="AffinityTile"/>, then RBF: exp(−g·scale) (x as given, no centring), or cosine (x the unit
    /// rows, sq the squared norms of the rows before normalizing): exp(−t²·scale) + cosineFloor with t = ½·g + gap_i + gap_j,
    /// gap = 0 for rows at least the norm floor long, else ½(1 − sq/floor²). Same grid, group and mirroring as <see cref="AffinityTile"/>.
    /// </summary>
    public static void DistanceAffinityTile(ArrayView<float> x, ArrayView<float> sq, ArrayView<float> w, int n, int d, int kind, float scale,
        float cosineFloor, float normFloorSquared)
    {
        if (Grid.IdxX < Grid.IdxY)
            return;
        var aS = SharedMemory.Allocate<float>(Tile8x8.Staged);
        var bS = SharedMemory.Allocate<float>(Tile8x8.Staged);
        StoreTile(Accumulate(aS, bS, x, n, d, distances: true), sq, w, n, new Epilogues(kind, scale, cosineFloor, normFloorSquared, true));
    }

    /// <summary>
    /// The group's 128×128 tile of rows i0 = Grid.IdxY·128 against rows j0 = Grid.IdxX·128 of x (n×d), each thread's 8×8 block:
    /// dot products (<see cref="Tile8x8.Step"/>) or squared differences (<see cref="Tile8x8.StepSquaredDifferences"/>), both
    /// operands staged through <paramref name="aS"/> and <paramref name="bS"/> (<see cref="Tile8x8.Staged"/> floats each).
    /// </summary>
    private static Tile8x8 Accumulate(ArrayView<float> aS, ArrayView<float> bS, ArrayView<float> x, int n, int d, bool distances)
    {
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * Tile8x8.Threads + tx;
        int i0 = Grid.IdxY * Tile8x8.Edge, j0 = Grid.IdxX * Tile8x8.Edge;
        Tile8x8 acc = default;
        for (int k0 = 0; k0 < d; k0 += Tile8x8.Depth)
        {
            Tile8x8.LoadRows(aS, x, tid, i0, n, d, k0, d);
            Tile8x8.LoadRows(bS, x, tid, j0, n, d, k0, d);
            Group.Barrier();
            acc = distances ? Tile8x8.StepSquaredDifferences(acc, aS, bS, tx, ty) : Tile8x8.Step(acc, aS, bS, tx, ty);
            Group.Barrier();
        }
        return acc;
    }

    /// <summary>
    /// Writes the group's tile through the epilogue: thread (tx, ty)'s rows i0 + ty + 16q, columns j0 + tx + 16p, and their mirror
    /// when the tile lies above the diagonal.
    /// </summary>
    private static void StoreTile(Tile8x8 acc, ArrayView<float> sq, ArrayView<float> w, int n, Epilogues epilogue)
    {
        int tx = Group.IdxX, ty = Group.IdxY, t = Tile8x8.Threads;
        int i0 = Grid.IdxY * Tile8x8.Edge + ty, j0 = Grid.IdxX * Tile8x8.Edge + tx;
        bool mirror = Grid.IdxX != Grid.IdxY;
        StoreRow(acc.R0, i0, j0, sq, w, n, epilogue, mirror);
        StoreRow(acc.R1, i0 + t, j0, sq, w, n, epilogue, mirror);
        StoreRow(acc.R2, i0 + 2 * t, j0, sq, w, n, epilogue, mirror);
        StoreRow(acc.R3, i0 + 3 * t, j0, sq, w, n, epilogue, mirror);
        StoreRow(acc.R4, i0 + 4 * t, j0, sq, w, n, epilogue, mirror);
        StoreRow(acc.R5, i0 + 5 * t, j0, sq, w, n, epilogue, mirror);
        StoreRow(acc.R6, i0 + 6 * t, j0, sq, w, n, epilogue, mirror);
        StoreRow(acc.R7, i0 + 7 * t, j0, sq, w, n, epilogue, mirror);
    }

    /// <summary>The epilogue's constants: kind, scale, floors, and whether the tile holds squared distances (else dot products).</summary>
    private readonly struct Epilogues(int kind, float scale, float cosineFloor, float normFloorSquared, bool distances)
    {
        public readonly int Kind = kind;
        public readonly float Scale = scale, CosineFloor = cosineFloor, NormFloorSquared = normFloorSquared;
        public readonly bool Distances = distances;
    }

    private static void StoreRow(Row8 g, int row, int col0, ArrayView<float> sq, ArrayView<float> w, int n, Epilogues e, bool mirror)
    {
        if (row >= n)
            return;
        float sqi = sq[row];
        for (int p = 0; p < 8; p++)
        {
            int col = col0 + Tile8x8.Threads * p;
            if (col < n)
            {
                float v = e.Distances
                    ? DistanceEpilogue(g.Get(p), sqi, sq[col], e.Kind, e.Scale, e.CosineFloor, e.NormFloorSquared)
                    : Epilogue(g.Get(p), sqi, sq[col], row == col, e.Kind, e.Scale, e.CosineFloor);
                w[(long)row * n + col] = v;
                if (mirror)
                    w[(long)col * n + row] = v;
            }
        }
    }

    /// <summary>The affinity from a squared distance (<see cref="DistanceAffinityTile"/>); the managed backend applies the same formula.</summary>
    private static float DistanceEpilogue(float g, float sqi, float sqj, int kind, float scale, float cosineFloor, float normFloorSquared)
    {
        if (kind == KernelAffinity.Rbf)
            return MathF.Exp(-g * scale);
        float t = 0.5f * g + CosineGap(sqi, normFloorSquared) + CosineGap(sqj, normFloorSquared);
        return CosineOf(t, kind, scale, cosineFloor);
    }

    /// <summary>½(1 − ‖x̂‖²) of a cosine row from its squared norm: 0 at or above the floor (AffinityMath.CosineGap's formula).</summary>
    private static float CosineGap(float sq, float normFloorSquared) => sq >= normFloorSquared ? 0f : 0.5f * (1f - sq / normFloorSquared);

    /// <summary>The affinity from a dot product; the managed backend applies the same formula.</summary>
    private static float Epilogue(float g, float sqi, float sqj, bool diagonal, int kind, float scale, float cosineFloor)
    {
        if (kind == KernelAffinity.Rbf)
        {
            float d2 = diagonal ? 0f : XMathMax(0f, sqi + sqj - (g + g));
            return MathF.Exp(-d2 * scale);
        }
        return CosineOf(1f - g, kind, scale, cosineFloor);
    }

    /// <summary>The cosine affinity exp(−t²·scale) + floor, or for <see cref="KernelAffinity.CosineSlope"/> its slope 2·scale·t·exp(−t²·scale).</summary>
    private static float CosineOf(float t, int kind, float scale, float cosineFloor)
    {
        float e = MathF.Exp(-t * t * scale);
        return kind == KernelAffinity.CosineSlope ? 2f * scale * t * e : e + cosineFloor;
    }
}
