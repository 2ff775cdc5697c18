// EigenGradientReport: diagnostics of the top-k eigen backward (CG iterations and residual, curvature failures, gaps, eigenvector resolution, near-degenerate pairs, phase timings).
namespace NcutKernels.Solvers;

/// <summary>What the backward pass of the top-k eigenpairs did, so callers can judge the gradient's accuracy.</summary>
/// <param name="CgIterations">Conjugate-gradient iterations (one block product M·V each).</param>
/// <param name="CgBlockProducts">All block products of the backward: the iterations and one per true-residual check.</param>
/// <param name="CgRelativeResidual">Largest true ‖P·ū_j − A_j·ξ_j‖/‖P·ū_j‖ at the end over the k systems.</param>
/// <param name="CgConverged">True when every system met the tolerance.</param>
/// <param name="IndefiniteSystems">
/// Systems stopped on a direction of non-positive curvature: P(λ_j − M)P was not positive definite, i.e. some eigenvalue
/// outside the kept set lies at or above λ_j — the forward eigenpairs are not accurate enough for the gap.
/// </param>
/// <param name="SmallestKeptGap">Smallest |λ_i − λ_j| between kept eigenvalues (the F term divides by these).</param>
/// <param name="Gap">λ_k − θ_{k+1}, θ_{k+1} the forward pass's first Ritz value below the kept ones (an estimate of the gap the CG sees; NaN when unknown).</param>
/// <param name="ResidualGapRatio">
/// max_j ‖M·u_j − λ_j·u_j‖ / gap_j over the forward eigenpairs (gap_j to θ_{k+1}, and to the other kept eigenvalues when
/// <paramref name="RotationDependent"/>): the Davis–Kahan bound on each eigenvector's angular error. Measured on
/// nearly degenerate spectra, the gradient's relative error was about 0.01–0.02 times this ratio; at ≥ 1 the eigenvectors
/// are not determined and neither is the gradient. NaN when the forward residuals are unknown.
/// </param>
/// <param name="RotationDependent">True when the loss depends on the basis inside span(U) (skew(UᵀŪ) ≠ 0).</param>
/// <param name="Broadened">Pairs closer than the degeneracy threshold whose F entries were broadened (only when rotation dependent).</param>
public sealed record EigenGradientReport(int CgIterations, int CgBlockProducts, double CgRelativeResidual, bool CgConverged, int IndefiniteSystems,
    double SmallestKeptGap, double Gap, double ResidualGapRatio, bool RotationDependent, int Broadened)
{
    /// <summary>Largest <see cref="ResidualGapRatio"/> for which the gradient counts as <see cref="Reliable"/>.</summary>
    public const double ResolutionLimit = 0.1;

    /// <summary>
    /// True when the gradient is trustworthy: CG converged on positive definite systems, no near-degenerate pair had to be
    /// broadened, and the forward eigenvectors are resolved (<see cref="ResidualGapRatio"/> ≤ <see cref="ResolutionLimit"/> where known).
    /// </summary>
    public bool Reliable => CgConverged && IndefiniteSystems == 0 && Broadened == 0 && !(ResidualGapRatio > ResolutionLimit);

    /// <summary>Milliseconds by phase of the backward pass that produced this report.</summary>
    public GradientTimings? Timings { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"CG {CgIterations} iterations ({CgBlockProducts} block products), " +
        $"residual {CgRelativeResidual:E2}{(CgConverged ? "" : " (NOT converged)")}, gap λk−θk+1 {Gap:E2}, smallest kept gap {SmallestKeptGap:E2}, " +
        $"eigen residual/gap {ResidualGapRatio:E2}" +
        (IndefiniteSystems > 0 ? $"; {IndefiniteSystems} system(s) not positive definite: eigenvalues outside the kept set reach λj, the eigenpairs are not accurate enough for the gap" : "") +
        (ResidualGapRatio >= 1 ? "; eigenvectors not determined (residual/gap ≥ 1): the gradient is not meaningful — a tighter Tolerance or float64 may resolve them"
            : ResidualGapRatio > ResolutionLimit ? $"; eigenvectors not resolved (residual/gap > {ResolutionLimit}): the gradient is approximate" : "") +
        (Broadened > 0 ? $"; {Broadened} near-degenerate pair(s) broadened: the gradient inside span(U) is approximate" : "") +
        (Timings is null ? "" : $"; {Timings}");
}
