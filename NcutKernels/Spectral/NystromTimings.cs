// NystromTimings: wall-clock milliseconds of each stage of the last Nyström (or exact) fit and its propagation.
namespace NcutKernels.Spectral;

/// <summary>
/// Milliseconds spent in each stage of the last <see cref="NystromNcut"/> fit (device work synchronized). On the exact path
/// sampling, anchors and propagation are 0 and <see cref="LandmarkNcutMs"/> is the whole exact embedding after σ; a later
/// <see cref="NystromNcut.Transform{T}(T[,])"/> records its own anchor preparation and propagation here.
/// </summary>
/// <param name="SamplingMs">Choosing the landmarks.</param>
/// <param name="SigmaMs">Choosing σ on the landmarks.</param>
/// <param name="LandmarkNcutMs">Exact Ncut on the landmarks: affinity, normalization, eigen-solve.</param>
/// <param name="AnchorsMs">Preparing the propagation: anchors, their σp and degrees (or the classic extension's coefficients).</param>
/// <param name="PropagationMs">Propagating the eigenvectors to the points (0 for <see cref="NystromNcut.Fit{T}(T[,])"/> alone).</param>
public sealed record NystromTimings(double SamplingMs, double SigmaMs, double LandmarkNcutMs, double AnchorsMs, double PropagationMs)
{
    /// <summary>Sum of the stages.</summary>
    public double TotalMs => SamplingMs + SigmaMs + LandmarkNcutMs + AnchorsMs + PropagationMs;

    /// <inheritdoc />
    public override string ToString() =>
        $"sampling {SamplingMs:F1} ms, σ {SigmaMs:F1} ms, landmark ncut {LandmarkNcutMs:F1} ms, anchors {AnchorsMs:F1} ms, propagation {PropagationMs:F1} ms, total {TotalMs:F1} ms";
}
