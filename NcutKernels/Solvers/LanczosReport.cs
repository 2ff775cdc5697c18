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
    /// <summary>
    /// An eigenpair (or the span of all k) counts as resolved when its residual is at most this fraction of its gap: by
    /// Davis–Kahan the eigenvector's (or the subspace's) angular error is at most residual/gap, here 0.1.
    /// </summary>
    public const double ResolutionLimit = 0.1;

    /// <summary>The returned eigenvalues (of the matrix solved, descending), in the order of <see cref="Residuals"/>.</summary>
    public double[] Values { get; init; } = [];

    /// <summary>The largest eigenvalue estimate below the returned ones (the next Ritz value); NaN when the solve did not produce one.</summary>
    public double NextValue { get; init; } = double.NaN;

    /// <summary>Largest residual over the returned eigenpairs.</summary>
    public double MaxResidual => Residuals.Length == 0 ? 0 : Residuals.Max();

    /// <summary>True when every residual meets <see cref="Tolerance"/>.</summary>
    public bool Converged => MaxResidual <= Tolerance;

    /// <summary>
    /// residual_j / gap_j for each returned eigenpair, gap_j the distance from λ_j to the nearest other returned eigenvalue or
    /// to <see cref="NextValue"/> (∞ when that distance is 0; empty when <see cref="Values"/> is unknown).
    /// </summary>
    public double[] ResidualGapRatios => Values.Length != Residuals.Length ? [] : Values.Select((v, j) =>
    {
        double gap = double.IsNaN(NextValue) ? double.PositiveInfinity : Math.Abs(v - NextValue);
        for (int i = 0; i < Values.Length; i++)
            if (i != j)
                gap = Math.Min(gap, Math.Abs(v - Values[i]));
        return gap > 0 ? Residuals[j] / gap : double.PositiveInfinity;
    }).ToArray();

    /// <summary>How many returned eigenpairs are resolved at the precision used (residual/gap ≤ <see cref="ResolutionLimit"/>).</summary>
    public int ResolvedPairs => ResidualGapRatios.Count(r => r <= ResolutionLimit);

    /// <summary>
    /// MaxResidual / (λ_k − <see cref="NextValue"/>): the Davis–Kahan bound on the angle between the returned span and the true
    /// top-k eigenspace (∞ when the gap is ≤ 0; NaN when <see cref="NextValue"/> is unknown, e.g. k = n − 1 on a dense solve).
    /// </summary>
    public double SpanResidualGapRatio => Values.Length == 0 || double.IsNaN(NextValue) ? double.NaN
        : Values[^1] - NextValue > 0 ? MaxResidual / (Values[^1] - NextValue) : double.PositiveInfinity;

    /// <summary>True when the span of the k eigenvectors is determined at the precision used (its ratio ≤ <see cref="ResolutionLimit"/>, or unknown).</summary>
    public bool SpanResolved => !(SpanResidualGapRatio > ResolutionLimit);

    /// <summary>One phrase for the resolution: pairs resolved out of k, and whether their span is.</summary>
    public string Resolution => Values.Length == 0 ? "resolution unknown"
        : $"{ResolvedPairs} of {Values.Length} eigenpairs resolved (residual/gap ≤ {ResolutionLimit}), their span " +
          (double.IsNaN(SpanResidualGapRatio) ? "resolved (no eigenvalue below them)" : $"{(SpanResolved ? "resolved" : "NOT resolved")} (residual/gap to λ{Values.Length + 1} {SpanResidualGapRatio:E2})");

    /// <inheritdoc />
    public override string ToString() => Dense
        ? $"dense host solve, max residual {MaxResidual:E2}; {Resolution}"
        : $"{BlockProducts} block products (block {BlockSize}, basis ≤ {MaxBasis}, {Restarts} restarts), max residual {MaxResidual:E2} (tol {Tolerance:E1}) {(Converged ? "converged" : "NOT converged")}; {Resolution}; {ElapsedMs:F1} ms = products {ProductMs:F1} + vector ops {VectorOpsMs:F1} + host eigen {HostEigenMs:F1} + other {ElapsedMs - ProductMs - VectorOpsMs - HostEigenMs:F1}";
}
