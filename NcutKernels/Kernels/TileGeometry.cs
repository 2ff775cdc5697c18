// TileGeometry: the shape every 128×128 register-blocked product tile shares (edge, stripe depth, threads, padded shared stride), and the affinity kind codes the kernels take.
namespace NcutKernels.Kernels;

/// <summary>
/// The geometry of the tiled product kernels (<see cref="Tile8x8"/>, <see cref="QuadTile"/>, the affinity and distance tiles):
/// a group of <see cref="Threads"/>×<see cref="Threads"/> threads computes an <see cref="Edge"/>×<see cref="Edge"/> output tile,
/// 8×8 outputs per thread, stepping <see cref="Depth"/> features at a time through shared memory staged as [kk·Stride + r].
/// </summary>
internal static class TileGeometry
{
    /// <summary>Output tile edge (rows and columns of a group's tile): 128.</summary>
    public const int Edge = 128;

    /// <summary>Features per staged stripe: 8.</summary>
    public const int Depth = 8;

    /// <summary>Threads per tile edge (a group is Threads × Threads): 16; a thread's rows and columns are Threads apart.</summary>
    public const int Threads = 16;

    /// <summary>Shared-memory row stride of a staged stripe, padded by 4 against bank conflicts (16-byte aligned rows).</summary>
    public const int Stride = Edge + 4;

    /// <summary>Floats of one staged stripe: Depth × Stride.</summary>
    public const int Staged = Depth * Stride;

    /// <summary>Threads of a group: Threads².</summary>
    public const int GroupSize = Threads * Threads;
}

/// <summary>The affinity kind as the kernels take it (an int: kernels cannot take the library's enum).</summary>
internal static class KernelAffinity
{
    /// <summary>exp(−‖x_i − x_j‖²·scale).</summary>
    public const int Rbf = 0;

    /// <summary>exp(−(1 − x̂_i·x̂_j)²·scale) + floor.</summary>
    public const int Cosine = 1;

    /// <summary>
    /// The cosine affinity's slope ∂W/∂(x̂_i·x̂_j) = 2·scale·t·exp(−t²·scale) with t = 1 − x̂_i·x̂_j (no floor): the pair factor of
    /// the cosine backward (scale = 1/(2σ²), so 2·scale = 1/σ²).
    /// </summary>
    public const int CosineSlope = 2;
}
