// Reliability: the warnings the library raises for eigen-solves and gradients that are not reliable at the precision used, with the remedy that applies.
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

/// <summary>Builds <see cref="NcutWarning"/>s from the solvers' reports (null when the result is reliable).</summary>
internal static class Reliability
{
    /// <summary>The remedies for eigenvalues too close for the precision used, most effective first.</summary>
    private static string Remedy(bool float32) =>
        (float32 ? "compute in float64 on the CPU backend (DeviceKind.Cpu with double features; ncut: --device cpu and a float64 .npy), or use " : "use ") +
        "a smaller σ or Quantile (a sparser graph spreads the eigenvalues apart), or fewer eigenvectors (EigenvectorCount) when the gap closes after the ones you need";

    /// <summary>
    /// A warning when the top-k eigen-solve did not converge, or converged but its span is not determined at the precision
    /// used (<see cref="LanczosReport.SpanResolved"/>); null otherwise. <paramref name="source"/> names the solve.
    /// </summary>
    public static NcutWarning? OfEigenSolve(string source, LanczosReport report, bool float32)
    {
        if (!report.Converged)
            return new NcutWarning(source, $"residual {report.MaxResidual:E2} above the tolerance {report.Tolerance:E1} after {report.BlockProducts} block products",
                "raise MaxBlockProducts or the Tolerance");
        if (report.SpanResolved)
            return null;
        double gap = report.Values[^1] - report.NextValue;
        return new NcutWarning(source,
            $"the {report.Values.Length} eigenvectors are not determined in {(float32 ? "float32" : "float64")}: λ{report.Values.Length} − λ{report.Values.Length + 1} = {gap:E2} " +
            $"against a residual of {report.MaxResidual:E2} (residual/gap {report.SpanResidualGapRatio:E2} > {LanczosReport.ResolutionLimit}); {report.Resolution}",
            Remedy(float32));
    }

    /// <summary>A warning when the backward pass's report says its gradient is not reliable (<see cref="EigenGradientReport.Reliable"/>); null otherwise.</summary>
    public static NcutWarning? OfGradient(EigenGradientReport report, bool float32) => report.Reliable ? null
        : new NcutWarning("gradient", $"not reliable: {report}",
            report.CgConverged && report.IndefiniteSystems == 0 && report.Broadened > 0
                ? "make the loss depend on span(U) only, or separate the near-equal eigenvalues (a smaller σ or Quantile)"
                : Remedy(float32) + "; or raise MaxGradientIterations / GradientTolerance when CG did not converge");
}
