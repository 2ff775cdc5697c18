// SpectralClusteringOptions: the embedding, path and k-way settings of a SpectralClustering (the cluster count is the constructor's).
namespace NcutKernels.Spectral;

/// <summary>
/// Settings of <see cref="SpectralClustering"/> besides its cluster count C. Every member may be null for its default; the
/// settings are validated when the <see cref="SpectralClustering"/> is constructed, which fills the defaults in
/// (<see cref="SpectralClustering.Options"/>).
/// </summary>
public sealed record SpectralClusteringOptions
{
    /// <summary>
    /// The embedding: affinity, σ rule, eigenvector count k, tolerances, seed, log and warnings. Precondition: C ≤
    /// <see cref="NcutOptions.EigenvectorCount"/> (and k &lt; n at fit time). Null: <see cref="NcutOptions"/>' defaults with
    /// <see cref="NcutOptions.EigenvectorCount"/> = C (as scikit-learn's <c>SpectralClustering</c> takes n_components =
    /// n_clusters; axis alignment uses exactly C eigenvectors).
    /// </summary>
    public NcutOptions? Ncut { get; init; }

    /// <summary>
    /// Exact or Nyström, and the Nyström sampling and propagation. Null: <see cref="NystromOptions"/>' defaults (exact up to
    /// <see cref="NystromOptions.ExactThreshold"/> = 8192 points, Nyström landmarks above, as <c>ncut embed</c> does).
    /// </summary>
    public NystromOptions? Nystrom { get; init; }

    /// <summary>
    /// The k-way discretization. Precondition: its <see cref="KwayOptions.ClusterCount"/> equals C, and its
    /// <see cref="KwayOptions.EigenvectorCount"/>, when set, is at most the embedding's k. Null: axis alignment
    /// (<see cref="KwayMethod.AxisAlign"/>) with <see cref="KwayOptions"/>' defaults, ClusterCount = C and the seed of
    /// <see cref="Ncut"/>.
    /// </summary>
    public KwayOptions? Kway { get; init; }
}
