// NystromPropagation: how Nyström carries the landmark eigenvectors to the other points.
namespace NcutKernels.Spectral;

/// <summary>How <see cref="NystromNcut"/> extends the landmark eigenvectors to every point (docs/MATH.md, "Nyström").</summary>
public enum NystromPropagation
{
    /// <summary>
    /// ncut_pytorch's <c>nystrom_propagate</c>: a weighted sum of the eigenvectors of the nearest anchors, divided by the
    /// sum of those anchors' degrees (mean affinity to the other anchors). Shrinks rows far from the anchors.
    /// </summary>
    NcutPytorch,
    /// <summary>The same nearest-anchor sum divided by the sum of its weights (a kernel-weighted average of the anchors' eigenvectors).</summary>
    Renormalized,
    /// <summary>
    /// The classic Nyström extension of the normalized affinity (Fowlkes et al. 2004): u(x) = (1/λ)·Σ_j w(x, j)·u_j / √(d(x)·d_j)
    /// over every landmark j, d_j the landmark graph's degrees and d(x) = Σ_j w(x, j); reproduces the landmark eigenvectors
    /// exactly at the landmarks. RBF affinity only; costs n·m·d for m landmarks (no anchors) — past n·m = 2³⁰ pairs it runs
    /// over a seeded subset of the landmarks with weights fitted by least squares instead (<see cref="NystromOptions.ClassicLandmarks"/>).
    /// </summary>
    Classic,
}
