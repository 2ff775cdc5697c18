// GradientTimings: wall-clock milliseconds of one backward pass through the top-k eigenpairs, by phase (Stopwatch around device-synchronized sections).
namespace NcutKernels.Solvers;

/// <summary>
/// Where the time of one backward pass through the eigen-solve went. Every phase ends in a device synchronization
/// (a download or an explicit one), so the numbers are wall clock on the host and add up to <see cref="TotalMs"/>.
/// </summary>
/// <param name="SubspaceMs">The in-subspace term (UᵀŪ, the F∘skew coefficients, U·C) and the final Y = U·C + Ξ.</param>
/// <param name="CgMs">The block conjugate gradients, block products included.</param>
/// <param name="CgProductMs">The part of <paramref name="CgMs"/> spent in the block products M·V (staging, transfers and the device product).</param>
/// <param name="AffinityMs">
/// The backward through the affinity and the normalization into X̄ (the fused device pass of the RBF embedding; for the
/// unfused top-k operation, forming M̄ = ½(Y·Uᵀ + U·Yᵀ)).
/// </param>
/// <param name="TotalMs">The whole backward rule, from reading the output gradients to the last accumulation into the input's.</param>
public sealed record GradientTimings(double SubspaceMs, double CgMs, double CgProductMs, double AffinityMs, double TotalMs)
{
    /// <summary>The rest of <see cref="TotalMs"/>: uploads, downloads and host work outside the phases above.</summary>
    public double OtherMs => Math.Max(0, TotalMs - SubspaceMs - CgMs - AffinityMs);

    /// <inheritdoc />
    public override string ToString() =>
        $"backward {TotalMs:F1} ms (subspace {SubspaceMs:F1}, CG {CgMs:F1} of which products {CgProductMs:F1}, affinity {AffinityMs:F1}, other {OtherMs:F1})";
}
