// AffinityMath: constants shared by every affinity implementation (kernels and managed twins).
namespace NcutKernels.Core;

/// <summary>Constants of the affinity definitions in docs/MATH.md, shared by all backends.</summary>
internal static class AffinityMath
{
    /// <summary>Added to every cosine affinity (ncut_pytorch's floor keeps the graph connected).</summary>
    public const double CosineFloor = 1e-3;

    /// <summary>Rows shorter than this are treated as this long when normalizing for cosine (ncut_pytorch: 1e-8).</summary>
    public const double CosineNormFloor = 1e-8;

    /// <summary>Degrees are clamped from below at this value before D^-1/2 (ncut_pytorch's clamp).</summary>
    public const double DegreeFloor = 1e-8;

    /// <summary>Floor of a propagated row's weight sum Σ_j w_ij (a row far from every anchor or landmark gets zeros, not NaN).</summary>
    public const double WeightFloor = 1e-30;

    /// <summary>
    /// How far the Gram expansion's rounding may exceed the direct differences' before the affinity takes direct differences.
    /// The expansion ‖x_i‖² + ‖x_j‖² − 2·x_i·x_j rounds a squared distance by about ε·(‖x_i‖² + ‖x_j‖²) (x centred), the differences
    /// Σ(x_ik − x_jk)² by about ε·‖x_i − x_j‖², and the affinity only sees pairs with ‖x_i − x_j‖²/(2σ²) ≲ <see cref="ExpRange"/>.
    /// </summary>
    public const double DirectDistanceRatio = 1024;

    /// <summary>Largest exponent the affinities resolve: exp(−88) is at float32's underflow, and smaller weights are negligible beside 1.</summary>
    public const double ExpRange = 88;

    /// <summary>
    /// True when the affinity with scale = 1/(2σ²) takes its pair terms from direct differences (<see cref="DirectDistanceRatio"/>):
    /// RBF when the largest squared norm of the centred rows times scale exceeds it (clusters far apart relative to σ, tiny σ);
    /// cosine when 2·√(ExpRange·scale) does — the factor by which the similarity's absolute rounding reaches the exponent (σ below
    /// about 0.013; <paramref name="maxSquaredNorm"/> is not used).
    /// </summary>
    public static bool UsesDirectDifferences(AffinityKind kind, double maxSquaredNorm, double scale) =>
        (kind == AffinityKind.Rbf ? maxSquaredNorm * scale : 2 * Math.Sqrt(ExpRange * scale)) > DirectDistanceRatio;

    /// <summary>
    /// ½(1 − ‖x̂‖²) of a cosine row with squared norm <paramref name="squaredNorm"/>: 0 when ‖x‖ ≥ <see cref="CosineNormFloor"/> (x̂ is a
    /// unit vector, so exactly 0 rather than its rounding), ½(1 − ‖x‖²/floor²) for shorter rows; then
    /// 1 − x̂_i·x̂_j = ½‖x̂_i − x̂_j‖² + gap_i + gap_j.
    /// </summary>
    public static T CosineGap<T>(T squaredNorm) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T floorSquared = T.CreateChecked(CosineNormFloor * CosineNormFloor);
        return squaredNorm >= floorSquared ? T.Zero : (T.One - squaredNorm / floorSquared) / T.CreateChecked(2);
    }

    /// <summary>s = 1/√max(d, floor): the scaling of D^-1/2·W·D^-1/2 as the forward pass applied it.</summary>
    public static double[] InvSqrtDegrees(double[] degrees) => degrees.Select(v => 1 / Math.Sqrt(Math.Max(v, DegreeFloor))).ToArray();
}
