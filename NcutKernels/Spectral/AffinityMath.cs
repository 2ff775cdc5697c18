// AffinityMath: constants shared by every affinity implementation (kernels and managed twins).
namespace NcutKernels.Spectral;

/// <summary>Constants of the affinity definitions in MATH.md, shared by all backends.</summary>
internal static class AffinityMath
{
    /// <summary>Added to every cosine affinity (ncut_pytorch's floor keeps the graph connected).</summary>
    public const double CosineFloor = 1e-3;

    /// <summary>Rows shorter than this are treated as this long when normalizing for cosine (ncut_pytorch: 1e-8).</summary>
    public const double CosineNormFloor = 1e-8;

    /// <summary>
    /// Exponents are clamped from below at this value before a vectorized exp on the CPU: far-negative
    /// arguments send TensorPrimitives.Exp down a scalar path ~7× slower, and exp(−87) ≈ 1.6e-38 is
    /// already at the bottom of float32's normal range (float64 keeps its own, lower floor).
    /// </summary>
    public static T ExpFloor<T>() where T : System.Numerics.IFloatingPointIeee754<T> =>
        T.CreateChecked(typeof(T) == typeof(float) ? -87.0 : -708.0);

    /// <summary>Degrees are clamped from below at this value before D^-1/2 (ncut_pytorch's clamp).</summary>
    public const double DegreeFloor = 1e-8;
}
