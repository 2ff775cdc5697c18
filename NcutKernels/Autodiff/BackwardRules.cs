// BackwardRules: the one table that maps every recorded operation to its backward rule; a missing rule throws.
using System.Numerics;
using NcutKernels.Ops;

namespace NcutKernels.Autodiff;

/// <summary>
/// Operation name → backward rule. Each rule reads its entry's output gradients and saved values and
/// adds (+=) into the gradients of the inputs that require one. The rules sit beside their forwards in
/// <see cref="TapeOps"/>, <see cref="SpectralOps"/>, <see cref="NystromOps"/> and <see cref="NystromNearestOps"/>.
/// </summary>
internal static class BackwardRules<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static readonly IReadOnlyDictionary<string, Action<TapeEntry<T>>> Table = new Dictionary<string, Action<TapeEntry<T>>>
    {
        ["matmul"] = TapeOps.MatMulBackward,          // Ā += C̄·Bᵀ, B̄ += Aᵀ·C̄
        ["gather"] = TapeOps.GatherRowsBackward,      // Ā[rows] += Ō
        ["abs"] = TapeOps.AbsBackward,                // Ā += sign(A)∘Ō
        ["square"] = TapeOps.SquareBackward,          // Ā += 2A∘Ō
        ["scale"] = TapeOps.ScaleBackward,            // Ā += c·Ō
        ["multiply"] = TapeOps.MultiplyBackward,      // Ā += B∘Ō, B̄ += A∘Ō
        ["add"] = TapeOps.AddBackward,                // Ā += Ō, B̄ += Ō
        ["sum"] = TapeOps.SumBackward,                // Ā += c·ō (sum: c = 1, mean: c = 1/len)
        ["sum-columns"] = TapeOps.SumColumnsBackward, // Ā[:, j] += c·ō_j
        ["affinity"] = SpectralOps.AffinityBackward,  // X̄ from W̄ (σ constant)
        ["normalize"] = SpectralOps.NormalizeBackward,// W̄ from M̄ through s = d^-1/2
        ["top-k-eigen"] = SpectralOps.TopKBackward,   // M̄ = ½(Y·Uᵀ + U·Yᵀ), no full spectrum
        ["ncut-embedding"] = SpectralOps.RbfEmbeddingBackward, // X̄ from (Y, U) through normalization and RBF affinity, fused
        ["nystrom-classic"] = NystromOps.ClassicBackward,      // x̄, x̄_L (weights and landmark degrees), Ū_L, λ̄ of the classic extension
        ["nystrom-nearest"] = NystromNearestOps.NearestBackward, // x̄, anchors' ā (weights and degrees), ū of the nearest-anchor propagation
    };
}
