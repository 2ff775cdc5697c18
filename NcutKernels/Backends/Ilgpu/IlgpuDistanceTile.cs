// IlgpuDistanceTile: launches the tensor-core row–anchor distance tile (MmaDistanceTile) on an ILGPU accelerator; the kernel is loaded once.
using ILGPU;
using ILGPU.Runtime;
using NcutKernels.Core;
using NcutKernels.Kernels;

namespace NcutKernels.Backends.Ilgpu;

/// <summary>
/// The TF32 / 3xTF32 distance tile (<see cref="MmaDistanceTile.AnchorDistanceTileTf32"/>) on an accelerator it does not own.
/// On CUDA <see cref="IlgpuNystrom"/> uses it instead of the float32 tile unless the call asks for
/// <see cref="DistancePrecision.Fp32"/>. Not thread-safe (its kernel is loaded on first use): callers serialize.
/// </summary>
internal sealed class IlgpuDistanceTile(IlgpuResources resources)
{
    private readonly IlgpuKernels _kernels = resources.Kernels;

    /// <summary>
    /// dist (rows×a) = max(0, xsq[r] + asq[j] − 2·(x_r − centre)·ac_j), the contract of
    /// <see cref="PropagationKernels.AnchorDistanceTile"/>, with the products in <paramref name="precision"/>
    /// (<see cref="DistancePrecision.Tf32"/> or <see cref="DistancePrecision.Tf32x3"/>). Asynchronous.
    /// </summary>
    public void Launch(ArrayView<float> xc, ArrayView<float> centre, ArrayView<float> xsq, ArrayView<float> ac, ArrayView<float> asq, ArrayView<float> dist,
        int rows, int a, int d, DistancePrecision precision)
    {
        if (precision == DistancePrecision.Fp32)
            throw new ArgumentOutOfRangeException(nameof(precision), precision, "The tensor-core tile computes TF32 or 3xTF32 products.");
        var tiles = new Index2D((a + MmaDistanceTile.Edge - 1) / MmaDistanceTile.Edge, (rows + MmaDistanceTile.Edge - 1) / MmaDistanceTile.Edge);
        _kernels.AnchorDistanceTileTf32(new KernelConfig(tiles, new Index2D(QuadTile.Threads, QuadTile.Threads)), xc, centre, xsq, ac, asq, dist, rows, a, d,
            precision == DistancePrecision.Tf32x3 ? 1 : 0);
    }
}
