// LandmarkSampling: how Nyström picks its landmarks (a seeded uniform sample, or ncut_pytorch's farthest-point sampling).
namespace NcutKernels.Spectral;

/// <summary>How <see cref="NystromNcut"/> chooses its m landmarks among the n points.</summary>
public enum LandmarkSampling
{
    /// <summary>
    /// A seeded uniform sample without replacement. The landmark graph is then a random subgraph of the full graph, so its
    /// spectrum (and σ by the degree rule) follows the full graph's: the classic Nyström setting.
    /// </summary>
    Uniform,
    /// <summary>
    /// ncut_pytorch's farthest-point sampling (8-d projection, ≤ 4·m evenly spaced candidates): spread-out landmarks that
    /// cover small clusters, but over-represent sparse regions, so the landmark graph's spectrum can differ from the full graph's.
    /// </summary>
    FarthestPoint,
}
