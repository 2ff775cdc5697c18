// TraceReport: the ranked channel table of `ncut trace` — to stdout, channels.csv (every channel) and trace.json (top channels and diagnostics).
using System.Globalization;
using System.Text.Json;
using NcutKernels.IO;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

internal static class TraceReport
{
    /// <summary>The file of every channel ranked per cluster.</summary>
    public const string CsvName = "channels.csv";

    /// <summary>The file of settings, eigenvalues, top channels and gradient diagnostics.</summary>
    public const string JsonName = "trace.json";

    /// <summary>Prints the ranked channels and writes <see cref="CsvName"/> and <see cref="JsonName"/> into the staged outputs.</summary>
    public static void Write(ChannelTrace trace, TraceCommand.Settings s, FeatureLayout layout, StagedFiles outputs, TextWriter stdout)
    {
        int n = trace.Labels.Length;
        stdout.WriteLine($"trace: eigenvalues {string.Join(" ", trace.Eigenvalues.Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))}");
        foreach (var c in trace.Clusters)
        {
            var perImage = Enumerable.Range(0, layout.Images).Select(m =>
            {
                int lo = layout.Offset(m), hi = lo + layout.Height(m) * layout.Width(m);
                return $"{Path.GetFileNameWithoutExtension(s.Images[m])} {100.0 * c.Points.Count(p => p >= lo && p < hi) / (hi - lo):F0}%";
            });
            stdout.WriteLine($"cluster {c.Cluster}: {c.Points.Length} patches ({100.0 * c.Points.Length / n:F0}%; {string.Join(", ", perImage)})" +
                (c.Gradient is { Reliable: false } g ? $" — gradient doubtful: {g}" : ""));
            stdout.WriteLine($"  by importance (−mean ∂L/∂x): {string.Join("  ", c.BySigned.Take(s.Top).Select(j => $"{j} ({c.Importance(j):+0.00E+0;-0.00E+0})"))}");
            stdout.WriteLine($"  by mean |∂L/∂x|:            {string.Join("  ", c.ByMagnitude.Take(s.Top).Select(j => $"{j} ({c.MeanAbsGradient[j]:0.00E+0})"))}");
        }

        outputs.Write(Path.Combine(s.OutDir, CsvName), stream =>
        {
            using var w = new StreamWriter(stream, leaveOpen: true);
            w.WriteLine("cluster,patches,rank,channel,importance,mean_abs_gradient,rank_by_magnitude");
            foreach (var c in trace.Clusters)
            {
                var magnitudeRank = new int[c.ByMagnitude.Length];
                for (int r = 0; r < c.ByMagnitude.Length; r++)
                    magnitudeRank[c.ByMagnitude[r]] = r + 1;
                for (int r = 0; r < c.BySigned.Length; r++)
                {
                    int j = c.BySigned[r];
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{c.Cluster},{c.Points.Length},{r + 1},{j},{c.Importance(j):R},{c.MeanAbsGradient[j]:R},{magnitudeRank[j]}"));
                }
            }
        });
        var doc = new
        {
            images = s.Images.Select((p, m) => new { path = p, grid_height = layout.Height(m), grid_width = layout.Width(m) }),
            layer = s.FeatureOrigin,
            clusters_requested = s.Clusters,
            eigenvector_count = s.EigenvectorCount,
            kway = s.Kway.ToString(),
            sigma = trace.Sigma,
            eigenvalues = trace.Eigenvalues,
            forward_ms = trace.ForwardMs,
            backward_ms = trace.BackwardMs,
            clusters = trace.Clusters.Select(c => new
            {
                cluster = c.Cluster,
                patches = c.Points.Length,
                objective = c.Objective,
                gradient = c.Gradient is null ? null : new
                {
                    cg_iterations = c.Gradient.CgIterations,
                    cg_relative_residual = c.Gradient.CgRelativeResidual,
                    indefinite_systems = c.Gradient.IndefiniteSystems,
                    gap = double.IsFinite(c.Gradient.Gap) ? c.Gradient.Gap : (double?)null,
                    residual_gap_ratio = double.IsFinite(c.Gradient.ResidualGapRatio) ? c.Gradient.ResidualGapRatio : (double?)null,
                    smallest_kept_gap = c.Gradient.SmallestKeptGap,
                    reliable = c.Gradient.Reliable,
                },
                by_importance = c.BySigned.Take(s.Top).Select(j => new { channel = j, importance = c.Importance(j), mean_abs_gradient = c.MeanAbsGradient[j] }),
                by_magnitude = c.ByMagnitude.Take(s.Top).Select(j => new { channel = j, importance = c.Importance(j), mean_abs_gradient = c.MeanAbsGradient[j] }),
            }),
        };
        outputs.Write(Path.Combine(s.OutDir, JsonName), stream => JsonSerializer.Serialize(stream, doc, new JsonSerializerOptions { WriteIndented = true }));
    }
}
