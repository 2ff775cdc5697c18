// NystromAccuracy: what a Nyström fit's optional accuracy check measured on a seeded sample of its own rows.
namespace NcutKernels.Spectral;

/// <summary>
/// The result of <see cref="NystromOptions.AccuracyCheckRows"/>: the fit's output on a seeded sample of its rows compared with
/// the float64 classic extension over every landmark (direct-difference distances, the fit's landmark eigenpairs, degrees,
/// σ and column signs) computed for those rows alone — what the propagation would give without subsets, float32 or tensor-core
/// arithmetic — and, for small n, the fit's whole output with the exact embedding of every point at the same σ.
/// </summary>
/// <param name="Rows">Rows compared.</param>
/// <param name="SinTheta">sin of the largest principal angle between the sampled output rows' column space and the reference's.</param>
/// <param name="MaxRowError">Largest ‖u(x) − u_ref(x)‖/‖u_ref(x)‖ over the rows.</param>
/// <param name="MedianRowError">Median of the same.</param>
/// <param name="ExactSinTheta">sin θ_max between the whole output and the exact embedding (same σ), when n ≤ <see cref="NystromOptions.ExactCheckLimit"/>; else null. It measures the Nyström approximation itself, not the propagation's arithmetic, and does not decide <see cref="Passed"/>.</param>
/// <param name="Milliseconds">Time the check took (not part of <see cref="NystromNcut.Timings"/>).</param>
public sealed record NystromAccuracy(int Rows, double SinTheta, double MaxRowError, double MedianRowError, double? ExactSinTheta, double Milliseconds)
{
    /// <summary>The check passes when <see cref="SinTheta"/> ≤ this: 0.05.</summary>
    public const double Tolerance = 0.05;

    /// <summary>Whether <see cref="SinTheta"/> is within <see cref="Tolerance"/>.</summary>
    public bool Passed => SinTheta <= Tolerance;

    /// <inheritdoc/>
    public override string ToString() =>
        $"accuracy on {Rows} sampled rows vs the float64 all-landmark extension: sin θ {SinTheta:E2}, row error max {MaxRowError:E2} median {MedianRowError:E2}" +
        (ExactSinTheta is { } e ? $"; vs the exact embedding: sin θ {e:E2}" : "") + $" ({(Passed ? "passed" : "FAILED")}, tolerance {Tolerance}; {Milliseconds:F0} ms)";
}
