// KwayMethod: how KwayNcut fits its rotation (Yu–Shi axis alignment or spherical k-means).
namespace NcutKernels.Spectral;

/// <summary>How <see cref="KwayNcut"/> turns continuous eigenvectors into k discrete clusters.</summary>
public enum KwayMethod
{
    /// <summary>
    /// Multiclass spectral clustering (Yu &amp; Shi, 2003), as ncut_pytorch's <c>axis_align</c>: alternate hard
    /// one-hot assignment and the orthogonal Procrustes rotation R = V·Uᵀ until the objective stops changing.
    /// R is k×k and orthogonal; it uses the first k eigenvector columns.
    /// </summary>
    AxisAlign,

    /// <summary>
    /// Spherical k-means on the unit rows, as ncut_pytorch's <c>quick_kway</c>: R's columns are the k unit
    /// centroids, so R is (eigenvectors used)×k with unit columns but is not orthogonal in general.
    /// </summary>
    SphericalKMeans,
}
