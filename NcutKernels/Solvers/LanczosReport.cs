// LanczosReport: what the eigen-solver did (products, restarts, residuals, convergence).
namespace NcutKernels.Solvers;

/// <summary>Diagnostics of one top-k eigen-solve.</summary>
/// <param name="BlockProducts">Number of block products M·V (each reads M once).</param>
/// <param name="Restarts">Thick restarts performed.</param>
/// <param name="BlockSize">Vectors per block.</param>
/// <param name="MaxBasis">Largest basis held before a restart.</param>
/// <param name="Residuals">‖M·u_j − λ_j·u_j‖ of each returned eigenpair, computed explicitly at the end.</param>
/// <param name="Tolerance">The residual tolerance asked for.</param>
/// <param name="Dense">True when n was small enough to solve densely on the host instead.</param>
/// <param name="ElapsedMs">Wall-clock milliseconds of the whole solve.</param>
/// <param name="ProductMs">Milliseconds spent in the block products M·V (device-synchronized).</param>
/// <param name="HostEigenMs">Milliseconds spent in the small dense eigenproblems on the host.</param>
/// <param name="VectorOpsMs">Milliseconds spent in inner products, linear combinations and copies of basis vectors (device-synchronized).</param>
public sealed record LanczosReport(int BlockProducts, int Restarts, int BlockSize, int MaxBasis, double[] Residuals, double Tolerance, bool Dense,
    double ElapsedMs, double ProductMs, double HostEigenMs, double VectorOpsMs)
{
    /// <summary>Largest residual over the returned eigenpairs.</summary>
    public double MaxResidual => Residuals.Length == 0 ? 0 : Residuals.Max();

    /// <summary>True when every residual meets <see cref="Tolerance"/>.</summary>
    public bool Converged => MaxResidual <= Tolerance;

    /// <inheritdoc />
    public override string ToString() => Dense
        ? $"dense host solve, max residual {MaxResidual:E2}"
        : $"{BlockProducts} block products (block {BlockSize}, basis ≤ {MaxBasis}, {Restarts} restarts), max residual {MaxResidual:E2} (tol {Tolerance:E1}) {(Converged ? "converged" : "NOT converged")}; {ElapsedMs:F1} ms = products {ProductMs:F1} + vector ops {VectorOpsMs:F1} + host eigen {HostEigenMs:F1} + other {ElapsedMs - ProductMs - VectorOpsMs - HostEigenMs:F1}";
}
