// EmbeddingPath: exact Ncut on every point, or Nyström (landmarks + propagation), or chosen by size.
namespace NcutKernels.Spectral;

/// <summary>Which way <see cref="NystromNcut"/> embeds the points.</summary>
public enum EmbeddingPath
{
    /// <summary>Exact when n ≤ <see cref="NystromOptions.ExactThreshold"/>, Nyström above it (ncut_pytorch's rule).</summary>
    Auto,
    /// <summary>Exact Ncut on every point (an n×n affinity).</summary>
    Exact,
    /// <summary>Nyström: exact Ncut on sampled landmarks, then propagation to every point, whatever n.</summary>
    Nystrom,
}
