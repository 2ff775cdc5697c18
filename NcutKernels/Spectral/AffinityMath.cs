// AffinityMath: constants shared by every affinity implementation (kernels and managed twins).
namespace NcutKernels.Spectral;

/// <summary>Constants of the affinity definitions in MATH.md, shared by all backends.</summary>
internal static class AffinityMath
{
    /// <summary>Added to every cosine affinity (ncut_pytorch's floor keeps the graph connected).</summary>
    public const double CosineFloor = 1e-3;

    /// <summary>Rows shorter than this are treated as this long when normalizing for cosine (ncut_pytorch: 1e-8).</summary>
    public const double CosineNormFloor = 1e-8;

    /// <summary>Degrees are clamped from below at this value before D^-1/2 (ncut_pytorch's clamp).</summary>
    public const double DegreeFloor = 1e-8;

    /// <summary>s = 1/√max(d, floor): the scaling of D^-1/2·W·D^-1/2 as the forward pass applied it.</summary>
    public static double[] InvSqrtDegrees(double[] degrees) => degrees.Select(v => 1 / Math.Sqrt(Math.Max(v, DegreeFloor))).ToArray();
}
