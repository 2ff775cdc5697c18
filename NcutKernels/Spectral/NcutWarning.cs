// NcutWarning: a result the library knows to be unreliable — what, why, and the remedy that applies — and the exception strict mode turns it into.
namespace NcutKernels.Spectral;

/// <summary>
/// A result that is computed but not reliable at the precision used: an eigen-solve whose eigenvectors are not determined
/// (residual against gap), a gradient whose report says it is not meaningful, a Nyström output that failed its accuracy
/// check. Written to <see cref="NcutOptions.Log"/> as a "warning:" line and passed to <see cref="NcutOptions.OnWarning"/>;
/// with <see cref="NcutOptions.Strict"/> it is thrown as an <see cref="NcutReliabilityException"/> instead of returned.
/// </summary>
/// <param name="Source">What produced it: "eigen-solve", "landmark eigen-solve", "gradient", "nystrom accuracy".</param>
/// <param name="Message">What is unreliable and the numbers that show it.</param>
/// <param name="Remedy">What to change that would resolve it.</param>
public sealed record NcutWarning(string Source, string Message, string Remedy)
{
    /// <inheritdoc />
    public override string ToString() => $"{Source}: {Message}; {Remedy}";
}

/// <summary>Thrown instead of returning an unreliable result when <see cref="NcutOptions.Strict"/> is set.</summary>
public sealed class NcutReliabilityException : Exception
{
    /// <summary>Creates the exception for <paramref name="warning"/>.</summary>
    public NcutReliabilityException(NcutWarning warning) : base($"{warning} (NcutOptions.Strict)") => Warning = warning;

    /// <summary>The warning that strict mode refused.</summary>
    public NcutWarning Warning { get; }
}
