// SolverSettings: the settings of the top-k eigen-solve and of its backward, as records with documented preconditions (defaults resolved in NcutOptions).
namespace NcutKernels.Solvers;

/// <summary>
/// The block Lanczos solve of the top-k eigenpairs (<see cref="BlockLanczos{T}"/>). Preconditions, checked on construction:
/// 1 ≤ <see cref="EigenvectorCount"/>, <see cref="Tolerance"/> finite and &gt; 0, <see cref="MaxBlockProducts"/> ≥ 1,
/// <see cref="Shift"/> finite and ≥ 0. <c>NcutOptions</c> resolves its defaults for each element type.
/// </summary>
/// <param name="EigenvectorCount">k: eigenpairs wanted.</param>
/// <param name="Tolerance">Residual ‖M·u − λ·u‖ every returned pair meets.</param>
/// <param name="Seed">Seed of the random start block.</param>
/// <param name="MaxBlockProducts">Block products M·V before the solve stops unconverged.</param>
/// <param name="Shift">The diagonal shift on M (removed from the reported eigenvalues).</param>
public sealed record LanczosSettings(int EigenvectorCount, double Tolerance, int Seed, int MaxBlockProducts, double Shift)
{
    /// <summary>k.</summary>
    public int EigenvectorCount { get; } = EigenvectorCount >= 1 ? EigenvectorCount
        : throw new ArgumentOutOfRangeException(nameof(EigenvectorCount), EigenvectorCount, "EigenvectorCount must be at least 1.");

    /// <summary>The residual tolerance.</summary>
    public double Tolerance { get; } = Tolerance > 0 && double.IsFinite(Tolerance) ? Tolerance
        : throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be finite and > 0.");

    /// <summary>The block-product cap.</summary>
    public int MaxBlockProducts { get; } = MaxBlockProducts >= 1 ? MaxBlockProducts
        : throw new ArgumentOutOfRangeException(nameof(MaxBlockProducts), MaxBlockProducts, "MaxBlockProducts must be at least 1.");

    /// <summary>The diagonal shift.</summary>
    public double Shift { get; } = Shift >= 0 && double.IsFinite(Shift) ? Shift
        : throw new ArgumentOutOfRangeException(nameof(Shift), Shift, "Shift must be finite and ≥ 0.");
}

/// <summary>
/// The backward of the top-k eigenpairs (<see cref="EigenBackward"/>: block conjugate gradients on P(λ_j·I − M)P).
/// Preconditions, checked on construction: <see cref="Tolerance"/> finite and &gt; 0, <see cref="MaxIterations"/> ≥ 1.
/// </summary>
/// <param name="Tolerance">Relative residual at which the CG stops.</param>
/// <param name="MaxIterations">CG iteration cap.</param>
public sealed record EigenBackwardSettings(double Tolerance, int MaxIterations)
{
    /// <summary>The CG tolerance.</summary>
    public double Tolerance { get; } = Tolerance > 0 && double.IsFinite(Tolerance) ? Tolerance
        : throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be finite and > 0.");

    /// <summary>The iteration cap.</summary>
    public int MaxIterations { get; } = MaxIterations >= 1 ? MaxIterations
        : throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be at least 1.");
}
