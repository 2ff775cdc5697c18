// AffinityKind: which pairwise affinity builds the graph.
namespace NcutKernels.Core;

/// <summary>Pairwise affinity between feature rows (definitions in docs/MATH.md, as ncut_pytorch).</summary>
public enum AffinityKind
{
    /// <summary>W_ij = exp(−‖x_i − x_j‖² / (2σ²)).</summary>
    Rbf,
    /// <summary>W_ij = exp(−(1 − x̂_i·x̂_j)² / (2σ²)) + 1e-3 with x̂ = x/‖x‖.</summary>
    Cosine,
}
