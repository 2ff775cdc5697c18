// IlgpuNystrom: launches the Nyström kernels (farthest-point sampling, nearest-anchor propagation) on an ILGPU accelerator; kernels are loaded once, scratch grows and is reused.
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NcutKernels.Core;
using NcutKernels.Kernels;

namespace NcutKernels.Backends.Ilgpu;

/// <summary>
/// The Nyström primitives on an ILGPU accelerator (CUDA, or ILGPU's CPU accelerator in tests), float32, on views of
/// device buffers. It owns nothing: kernels and scratch are the accelerator's (<see cref="IlgpuResources"/>). The anchors' centring
/// launches in bands of at most <paramref name="gridRows"/> rows (<see cref="RowBands"/>; tests lower it). Not thread-safe (kernel
/// cache, scratch): <see cref="IlgpuBackend"/> calls it only inside its serialized entries.
/// </summary>
internal sealed partial class IlgpuNystrom(IlgpuResources resources, int gridRows = RowBands.MaxGridRows)
{
    /// <summary>Floats of distance scratch a default chunk of <see cref="PropagateNearest"/> may use (256 MiB), and most rows per chunk.</summary>
    public const long ChunkFloats = 1L << 26;
    public const int MaxChunkRows = 1 << 20;

    private readonly IlgpuResources _resources = resources;
    private readonly Accelerator _acc = resources.Accelerator;
    private IlgpuKernels _kernels => _resources.Kernels;
    private readonly int _gridRows = gridRows;

    /// <summary>Whether the tensor-core distance tile can run here: CUDA with TF32 mma (compute capability 8.0, Ampere, or later).</summary>
    private readonly bool _tensorCores = resources.Accelerator is CudaAccelerator cuda && !(cuda.Architecture < CudaArchitecture.SM_80);

    private IlgpuDistanceTile? _mmaTile;

    /// <summary>
    /// output (n×k) = each row of x (n×d) propagated from its <paramref name="neighbours"/> nearest anchors (a×d, squared
    /// Euclidean, ties to the lower anchor): output_i = Σ_{j∈N_i} w_ij·values_j / denom_i with w_ij = exp(−‖x_i − a_j‖²/(2σ²))
    /// and denom_i = Σ_{j∈N_i} anchorDegrees_j when given, else max(Σ_j w_ij, 1e-30). When indices and weights (n×K each)
    /// are given they receive each row's anchors in ascending distance and w_ij/denom_i. Rows go in chunks of
    /// <paramref name="chunkRows"/> (default: distance scratch ≤ <see cref="ChunkFloats"/>), so scratch is O(chunk·a + a·d).
    /// Needs 1 ≤ K ≤ min(a, <see cref="PropagationKernels.MaxNeighbours"/>). Synchronizes.
    /// </summary>
    public void PropagateNearest(ArrayView<float> x, int n, int d, ArrayView<float> anchors, int a, ArrayView<float> values, int k,
        float[]? anchorDegrees, float sigma, int neighbours, ArrayView<float> output,
        ArrayView<int> indices = default, ArrayView<float> weights = default, int chunkRows = 0, DistancePrecision precision = DistancePrecision.Tf32x3)
    {
        bool write = CheckPropagate(x, n, d, anchors, a, values, k, anchorDegrees, sigma, neighbours, output, indices, weights, chunkRows);

        var (centre, ac, asq, degrees) = PrepareAnchors(anchors, a, d, anchorDegrees);
        int warps = Warps(PropagationKernels.SelectWarps), rowGroup = warps * _acc.WarpSize;
        int chunk = chunkRows > 0 ? Math.Min(chunkRows, n) : DefaultChunk(n, a);
        var scratch = _resources.Scratch<float>(ScratchSlot.Chunk, (long)chunk * a + chunk);
        var (dist, xsq) = (scratch.SubView(0, (long)chunk * a), scratch.SubView((long)chunk * a, chunk));
        // Stand-ins for absent neighbour output (never written): one int of scratch, and the degrees view.
        var spareIndex = _resources.Scratch<int>(ScratchSlot.Indices, 1);
        float scale = (float)(1.0 / (2.0 * sigma * sigma));
        for (int r0 = 0; r0 < n; r0 += chunk)
        {
            int rows = Math.Min(chunk, n - r0), rowGroups = (rows + warps - 1) / warps;
            ChunkDistances(x.SubView((long)r0 * d, (long)rows * d), rows, d, centre, xsq, ac, asq, a, dist, precision);
            _kernels.SelectNearest(new KernelConfig(rowGroups, rowGroup), dist, values, degrees, output.SubView((long)r0 * k, (long)rows * k),
                write ? indices.SubView((long)r0 * neighbours, (long)rows * neighbours) : spareIndex,
                write ? weights.SubView((long)r0 * neighbours, (long)rows * neighbours) : degrees,
                rows, a, k, neighbours, scale, anchorDegrees is null ? 0 : 1, write ? 1 : 0);
        }
        _acc.Synchronize();
    }

    /// <summary>
    /// The anchor side of a propagation, once per call: centre c = the anchors' column means, ac = anchors − c, ‖ac‖²,
    /// and the degrees uploaded (when given) — views into the anchor scratch.
    /// </summary>
    private (ArrayView<float> centre, ArrayView<float> ac, ArrayView<float> asq, ArrayView<float> degrees) PrepareAnchors(
        ArrayView<float> anchors, int a, int d, float[]? anchorDegrees)
    {
        long ad = (long)a * d;
        var small = _resources.Scratch<float>(ScratchSlot.Anchors, d + ad + 2L * a);
        var (centre, ac, asq, degrees) = (small.SubView(0, d), small.SubView(d, ad), small.SubView(d + ad, a), small.SubView(d + ad + a, a));
        if (anchorDegrees is not null)
            degrees.CopyFromCPU(anchorDegrees);
        var anchorView = anchors.SubView(0, ad);
        _kernels.ColumnMeans(new KernelConfig((d + AffinityKernels.MeanColumns - 1) / AffinityKernels.MeanColumns, AffinityKernels.MeanGroup), anchorView, centre, a, d);
        foreach (var (extent, row0) in RowBands.Of(d, a, _gridRows))
            _kernels.SubtractMeans(extent, anchorView, centre, ac, d, row0);
        int warps = Warps(PropagationKernels.SelectWarps);
        _kernels.CentredSquaredNorms(new KernelConfig((a + warps - 1) / warps, warps * _acc.WarpSize), anchorView, centre, asq, a, d);
        return (centre, ac, asq, degrees);
    }

    /// <summary>
    /// output (n×k) = Σ_j w_ij·values_j / Σ_j anchorDegrees_j over EVERY anchor (a×d), w_ij = exp(−‖x_i − a_j‖²/(2σ²)): the
    /// <see cref="PropagateNearest"/> contract with K = a, as the classic extension calls it (degrees all ones). Per chunk:
    /// the distance tile, then one kernel that turns the distances into weights as it stages them and multiplies them by
    /// the values (<see cref="SkinnyProduct.RbfWeightedSums"/>; its summation order depends on a alone, so a row's result
    /// does not depend on the chunk or batch it is processed in). Scratch O(chunk·a + a·d). Synchronizes.
    /// </summary>
    public void PropagateAll(ArrayView<float> x, int n, int d, ArrayView<float> anchors, int a, ArrayView<float> values, int k,
        float[] anchorDegrees, float sigma, ArrayView<float> output, int chunkRows = 0, DistancePrecision precision = DistancePrecision.Tf32x3)
    {
        ArgumentNullException.ThrowIfNull(anchorDegrees);
        CheckPropagate(x, n, d, anchors, a, values, k, anchorDegrees, sigma, 1, output, default, default, chunkRows);
        var (centre, ac, asq, _) = PrepareAnchors(anchors, a, d, null);
        double total = anchorDegrees.Sum(v => (double)v);
        float inv = total > 0 ? (float)(1 / total) : 0f;
        int chunk = chunkRows > 0 ? Math.Min(chunkRows, n) : DefaultChunk(n, a);
        var scratch = _resources.Scratch<float>(ScratchSlot.Chunk, (long)chunk * a + chunk);
        var (dist, xsq) = (scratch.SubView(0, (long)chunk * a), scratch.SubView((long)chunk * a, chunk));
        float scale = (float)(1.0 / (2.0 * sigma * sigma));
        for (int r0 = 0; r0 < n; r0 += chunk)
        {
            int rows = Math.Min(chunk, n - r0);
            ChunkDistances(x.SubView((long)r0 * d, (long)rows * d), rows, d, centre, xsq, ac, asq, a, dist, precision);
            _kernels.RbfWeightedSums(new KernelConfig(SkinnyProduct.Groups(rows, k), SkinnyProduct.Threads), dist, values,
                output.SubView((long)r0 * k, (long)rows * k), rows, a, k, scale, inv);
        }
        _acc.Synchronize();
    }

    /// <summary>dist (rows×a) = squared distances of a chunk's rows xc (rows×d) to the centred anchors: centred row norms, then the distance tile.</summary>
    private void ChunkDistances(ArrayView<float> xc, int rows, int d, ArrayView<float> centre, ArrayView<float> xsq, ArrayView<float> ac,
        ArrayView<float> asq, int a, ArrayView<float> dist, DistancePrecision precision)
    {
        int warps = Warps(PropagationKernels.SelectWarps);
        _kernels.CentredSquaredNorms(new KernelConfig((rows + warps - 1) / warps, warps * _acc.WarpSize), xc, centre, xsq, rows, d);
        var tiles = new Index2D((a + QuadTile.Edge - 1) / QuadTile.Edge, (rows + QuadTile.Edge - 1) / QuadTile.Edge);
        if (_tensorCores && precision != DistancePrecision.Fp32)
            (_mmaTile ??= new IlgpuDistanceTile(_resources)).Launch(xc, centre, xsq, ac, asq, dist, rows, a, d, precision);
        else
            _kernels.AnchorDistanceTile(new KernelConfig(tiles, new Index2D(QuadTile.Threads, QuadTile.Threads)), xc, centre, xsq, ac, asq, dist, rows, a, d);
    }

    /// <summary>
    /// Warps per group of the sampling walk and the warp-per-row kernels: up to <paramref name="most"/> on a GPU; two on
    /// ILGPU's CPU accelerator, which runs every thread of a group as an OS thread (two warps still take the cross-warp
    /// paths, and its barriers and shuffles stay cheap).
    /// </summary>
    private int Warps(int most) =>
        _acc.AcceleratorType == AcceleratorType.CPU ? 2 : Math.Min(most, _acc.MaxNumThreadsPerGroup / _acc.WarpSize);

    /// <summary>Rows per chunk: as many as keep the distances within <see cref="ChunkFloats"/>, a multiple of the tile edge.</summary>
    private static int DefaultChunk(int n, int a) =>
        (int)Math.Min(n, Math.Clamp(ChunkFloats / a / QuadTile.Edge * QuadTile.Edge, QuadTile.Edge, MaxChunkRows));

    /// <summary>Validates <see cref="PropagateNearest"/>'s arguments; true when neighbour indices and weights are to be written.</summary>
    private static bool CheckPropagate(ArrayView<float> x, int n, int d, ArrayView<float> anchors, int a, ArrayView<float> values, int k,
        float[]? anchorDegrees, float sigma, int neighbours, ArrayView<float> output, ArrayView<int> indices, ArrayView<float> weights, int chunkRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(a);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neighbours);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(neighbours, Math.Min(a, PropagationKernels.MaxNeighbours));
        ArgumentOutOfRangeException.ThrowIfNegative(chunkRows);
        if (!(sigma > 0) || !float.IsFinite(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "σ must be positive and finite.");
        if (anchorDegrees is not null && anchorDegrees.Length != a)
            throw new ArgumentException($"Expected {a} anchor degrees, got {anchorDegrees.Length}.", nameof(anchorDegrees));
        CheckLength(x.Length, (long)n * d, nameof(x));
        CheckLength(anchors.Length, (long)a * d, nameof(anchors));
        CheckLength(values.Length, (long)a * k, nameof(values));
        CheckLength(output.Length, (long)n * k, nameof(output));
        if ((indices.Length == 0) != (weights.Length == 0))
            throw new ArgumentException("Give both neighbour indices and weights, or neither.", nameof(indices));
        if (indices.Length == 0)
            return false;
        CheckLength(indices.Length, (long)n * neighbours, nameof(indices));
        CheckLength(weights.Length, (long)n * neighbours, nameof(weights));
        return true;
    }

    private static void CheckLength(long length, long needed, string name)
    {
        if (length < needed)
            throw new ArgumentException($"{name} holds {length} elements, needs {needed}.", name);
    }
}
