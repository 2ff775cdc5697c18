// EigenGradientReport: diagnostics of the top-k eigen backward (CG iterations and residual, gaps, near-degenerate pairs).
namespace NcutKernels.Solvers;

/// <summary>What the backward pass of the top-k eigenpairs did, so callers can judge the gradient's accuracy.</summary>
/// <param name="CgIterations">Block conjugate-gradient iterations (one block product M·V each).</param>
/// <param name="CgRelativeResidual">Largest ‖r_j‖/‖P·ū_j‖ at the end over the k systems.</param>
/// <param name="CgConverged">True when every system met the tolerance.</param>
/// <param name="SmallestKeptGap">Smallest |λ_i − λ_j| between kept eigenvalues (the F term divides by these).</param>
/// <param name="RotationDependent">True when the loss depends on the basis inside span(U) (skew(UᵀŪ) ≠ 0).</param>
/// <param name="Broadened">Pairs closer than the degeneracy threshold whose F entries were broadened (only when rotation dependent).</param>
public sealed record EigenGradientReport(int CgIterations, double CgRelativeResidual, bool CgConverged, double SmallestKeptGap,
    bool RotationDependent, int Broadened)
{
    /// <summary>True when the gradient is trustworthy: CG converged and no near-degenerate pair had to be broadened.</summary>
    public bool Reliable => CgConverged && Broadened == 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"CG {CgIterations} iterations, residual {CgRelativeResidual:E2}{(CgConverged ? "" : " (NOT converged)")}, smallest kept gap {SmallestKeptGap:E2}" +
        (Broadened > 0 ? $", {Broadened} near-degenerate pair(s) broadened: the gradient inside span(U) is approximate" : "");
}
