// TraceHtml: report.html of `ncut trace` — one self-contained page (images as data: URIs, inline CSS, SVG and script) of segments, spectrum and channels per cluster.
using System.Text;
using NcutKernels.IO;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

/// <summary>
/// Writes the trace as one HTML page that needs nothing else: the settings, each image's segment overlay, the eigenvalue
/// spectrum, and per cluster its gradient diagnostics, its channel grid (mask and top channels' maps on every image), its
/// top channels (hover, focus or click one to see its maps in a preview) and every channel's ranking. Every picture is
/// embedded as a PNG data: URI and every text is escaped, so the page references nothing outside itself.
/// </summary>
internal static class TraceHtml
{
    /// <summary>The page's file name in the output folder.</summary>
    public const string Name = "report.html";

    /// <summary>Writes <see cref="Name"/> into the staged outputs (committed with the rest of the set).</summary>
    public static void Write(ChannelTrace trace, TraceCommand.Settings s, FeatureLayout layout, TracePictures pictures, StagedFiles outputs)
    {
        string page = Render(trace, s, layout, pictures);
        outputs.Write(Path.Combine(s.OutDir, Name), stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
            w.Write(page);
        });
    }

    /// <summary>The page's HTML.</summary>
    public static string Render(ChannelTrace trace, TraceCommand.Settings s, FeatureLayout layout, TracePictures pictures)
    {
        var names = s.Images.Select(p => Path.GetFileName(p)).ToArray();
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append($"<title>ncut trace: {Html.Text(string.Join(", ", names))}</title>\n")
            .Append("<style>\n").Append(TraceHtmlAssets.Css).Append("\n</style>\n</head>\n<body>\n");
        Header(h, trace, layout);
        h.Append("<main>\n");
        Settings(h, trace, s, layout);
        Segments(h, trace, layout, pictures, names);
        Spectrum(h, trace);
        for (int r = 0; r < trace.Clusters.Count; r++)
            Cluster(h, trace, layout, trace.Clusters[r], pictures.Clusters[r], names);
        h.Append("</main>\n<footer>Written by <code>ncut trace</code> beside ")
            .Append($"<code>{TraceReport.CsvName}</code> (every channel of every cluster, full precision) and <code>{TraceReport.JsonName}</code>.</footer>\n")
            .Append("<script>\n").Append(TraceHtmlAssets.Script).Append("\n</script>\n</body>\n</html>\n");
        return h.ToString();
    }

    /// <summary>The page header: what was traced, and links to the sections.</summary>
    private static void Header(StringBuilder h, ChannelTrace trace, FeatureLayout layout)
    {
        h.Append("<header>\n<h1>ncut trace</h1>\n")
            .Append($"<p class=\"muted\">{Html.Number(layout.Rows)} patches of {Html.Number(layout.Images)} image(s), {Html.Number(trace.Clusters.Count)} clusters; ")
            .Append("per cluster, channels ranked by importance (−mean ∂L/∂x over its patches: raising the channel there strengthens the cluster).</p>\n")
            .Append("<nav><a href=\"#settings\">Settings</a><a href=\"#segments\">Segments</a><a href=\"#spectrum\">Eigenvalues</a>");
        foreach (var c in trace.Clusters)
            h.Append($"<a href=\"#cluster-{c.Cluster}\">Cluster {c.Cluster}</a>");
        h.Append("</nav>\n</header>\n");
    }

    /// <summary>The settings table: images with their patch grids, layer, clusters, eigenvectors, affinity, σ, times.</summary>
    private static void Settings(StringBuilder h, ChannelTrace trace, TraceCommand.Settings s, FeatureLayout layout)
    {
        h.Append("<section id=\"settings\">\n<h2>Settings</h2>\n<table class=\"kv\">\n");
        for (int m = 0; m < layout.Images; m++)
            Row(h, m == 0 ? "images" : "", $"{Html.Text(s.Images[m])} <span class=\"muted\">({Html.Number(layout.Height(m))} × {Html.Number(layout.Width(m))} patches)</span>");
        Row(h, "layer", Html.Text(s.FeatureOrigin));
        Row(h, "clusters", $"{Html.Number(s.Clusters)} requested, {Html.Number(trace.Clusters.Count)} non-empty ({Html.Text(s.Kway.ToString())})");
        Row(h, "eigenvectors", Html.Number(s.EigenvectorCount));
        Row(h, "affinity", $"{Html.Text(s.Affinity.ToString())}, σ = {Html.Number(trace.Sigma, "G6")}");
        Row(h, "time", $"forward {Html.Number(trace.ForwardMs, "F0")} ms, backward {Html.Number(trace.BackwardMs, "F0")} ms");
        h.Append("</table>\n</section>\n");
    }

    /// <summary>Each image's segment overlay with its cluster shares, and its eigenvector picture folded.</summary>
    private static void Segments(StringBuilder h, ChannelTrace trace, FeatureLayout layout, TracePictures pictures, string[] names)
    {
        h.Append("<section id=\"segments\">\n<h2>Segments</h2>\n<div class=\"figures\">\n");
        for (int m = 0; m < layout.Images; m++)
        {
            int lo = layout.Offset(m), count = layout.Height(m) * layout.Width(m);
            h.Append($"<figure><img class=\"photo\" src=\"{Html.PngUri(pictures.Images[m].Segments)}\" alt=\"clusters over {Html.Text(names[m])}\">")
                .Append($"<figcaption><strong>{Html.Text(names[m])}</strong> ({Html.Number(layout.Height(m))} × {Html.Number(layout.Width(m))} patches)<br>");
            foreach (var c in trace.Clusters)
            {
                double share = 100.0 * c.Points.Count(p => p >= lo && p < lo + count) / count;
                h.Append($"<span class=\"chip\" style=\"background:{Png.Hex(Png.Colour(c.Cluster))}\">cluster {c.Cluster}: {Html.Number(share, "F0")}%</span>");
            }
            h.Append("<details><summary>eigenvectors 2–4 as RGB</summary>")
                .Append($"<img class=\"photo\" src=\"{Html.PngUri(pictures.Images[m].Eigenvectors)}\" alt=\"eigenvectors 2 to 4 of {Html.Text(names[m])} as red, green, blue\"></details>")
                .Append("</figcaption></figure>\n");
        }
        h.Append("</div>\n</section>\n");
    }

    /// <summary>The eigenvalue bar charts: all eigenvalues, and all but λ1.</summary>
    private static void Spectrum(StringBuilder h, ChannelTrace trace)
    {
        h.Append("<section id=\"spectrum\">\n<h2>Eigenvalue spectrum</h2>\n<div class=\"charts\">\n")
            .Append(SpectrumChart.Svg(trace.Eigenvalues, 0, $"λ1 … λ{trace.Eigenvalues.Length}"));
        if (trace.Eigenvalues.Length > 2)
            h.Append(SpectrumChart.Svg(trace.Eigenvalues, 1, $"λ2 … λ{trace.Eigenvalues.Length} (without λ1)"));
        h.Append("\n</div>\n<p class=\"muted\">Eigenvalues of D<sup>−1/2</sup>WD<sup>−1/2</sup>, descending; hover a bar for its value.</p>\n</section>\n");
    }

    /// <summary>One cluster's section: size, objective, diagnostics, channel grid, top channels with preview, full ranking.</summary>
    private static void Cluster(StringBuilder h, ChannelTrace trace, FeatureLayout layout, ClusterTrace c, TracePictures.ClusterMaps maps, string[] names)
    {
        string colour = Png.Hex(Png.Colour(c.Cluster));
        h.Append($"<section class=\"cluster\" id=\"cluster-{c.Cluster}\" data-cluster=\"{c.Cluster}\">\n")
            .Append($"<h2><span class=\"swatch\" style=\"background:{colour}\"></span>Cluster {c.Cluster}</h2>\n")
            .Append($"<p>{Html.Number(c.Points.Length)} patches ({Html.Number(100.0 * c.Points.Length / trace.Labels.Length, "F0")}% of all); ")
            .Append($"objective L = −mean |score| = {Html.Number(c.Objective, "G6")}.</p>\n");
        Diagnostics(h, c.Gradient);
        Grid(h, layout, maps, names);
        Ranked(h, c, maps);
        All(h, c);
        h.Append("</section>\n");
    }

    /// <summary>The eigen-backward diagnostics of trace.json, with the verdict and, when doubtful, the reason.</summary>
    private static void Diagnostics(StringBuilder h, Solvers.EigenGradientReport? g)
    {
        if (g is null)
        {
            h.Append("<div class=\"diag\"><p class=\"verdict\">No eigen-backward diagnostics for this cluster.</p></div>\n");
            return;
        }
        h.Append($"<div class=\"diag{(g.Reliable ? "" : " doubtful")}\">\n<h3>Gradient diagnostics</h3>\n")
            .Append($"<p class=\"verdict\">{(g.Reliable ? "reliable" : "doubtful")}</p>\n<table class=\"kv\">\n");
        Row(h, "CG iterations", Html.Number(g.CgIterations));
        Row(h, "CG relative residual", Html.Number(g.CgRelativeResidual, "0.00E+0") + (g.CgConverged ? "" : " (not converged)"));
        Row(h, "indefinite systems", Html.Number(g.IndefiniteSystems));
        Row(h, "gap λk − θk+1", Html.Number(g.Gap, "0.00E+0"));
        Row(h, "eigen residual / gap", Html.Number(g.ResidualGapRatio, "0.00E+0"));
        Row(h, "smallest kept gap", Html.Number(g.SmallestKeptGap, "0.00E+0"));
        h.Append("</table>\n");
        if (!g.Reliable)
            h.Append($"<p class=\"warn\">{Html.Text(g.ToString())}</p>\n");
        h.Append("</div>\n");
    }

    /// <summary>The cluster's channel grid: per image a row of its mask and its top channels' maps, and the colour ramp.</summary>
    private static void Grid(StringBuilder h, FeatureLayout layout, TracePictures.ClusterMaps maps, string[] names)
    {
        h.Append("<h3>Channel grid</h3>\n<div class=\"grid-wrap\"><table class=\"grid\">\n<thead><tr><th>image</th><th>mask</th>");
        for (int j = 0; j < maps.Channels.Count; j++)
            h.Append($"<th>#{j + 1}: ch {maps.Channels[j]}</th>");
        h.Append("</tr></thead>\n<tbody>\n");
        for (int m = 0; m < layout.Images; m++)
        {
            string name = Html.Text(names[m]);
            h.Append($"<tr><th>{name}</th><td><img class=\"map\" src=\"{Html.PngUri(maps.Masks[m])}\" alt=\"cluster {maps.Cluster} on {name}\"></td>");
            for (int j = 0; j < maps.Channels.Count; j++)
                h.Append($"<td><img class=\"map\" src=\"{Html.PngUri(maps.Maps[j][m])}\" data-cluster=\"{maps.Cluster}\" data-channel=\"{maps.Channels[j]}\" ")
                    .Append($"data-image=\"{m}\" data-image-name=\"{name}\" alt=\"channel {maps.Channels[j]} on {name}\"></td>");
            h.Append("</tr>\n");
        }
        h.Append("</tbody></table></div>\n<div class=\"legend\"><span>0</span><span class=\"ramp\" style=\"background:linear-gradient(to right, ")
            .Append(string.Join(", ", TraceImages.RampStops.Select(stop => $"{Png.Hex(stop.Colour)} {Html.Number(100 * stop.T, "0.#")}%")))
            .Append(")\"></span><span>the channel's maximum over all images; patches outside the cluster dimmed to a third</span></div>\n");
    }

    /// <summary>The top channels' table (the rows that show their maps in the preview area) and the preview area.</summary>
    private static void Ranked(StringBuilder h, ClusterTrace c, TracePictures.ClusterMaps maps)
    {
        var magnitudeRank = MagnitudeRanks(c);
        h.Append("<div class=\"explore\">\n<table class=\"ranked\">\n")
            .Append($"<caption>Top {Html.Number(maps.Channels.Count)} channels by importance: hover a row, or focus or press a channel, to see its maps</caption>\n")
            .Append("<thead><tr><th>rank</th><th>channel</th><th>importance (−mean ∂L/∂x)</th><th>mean |∂L/∂x|</th><th>rank by |∂L/∂x|</th></tr></thead>\n<tbody>\n");
        for (int r = 0; r < maps.Channels.Count; r++)
        {
            int j = maps.Channels[r];
            string importance = Html.Number(c.Importance(j), "+0.000E+0;-0.000E+0"), meanAbs = Html.Number(c.MeanAbsGradient[j], "0.000E+0");
            string caption = $"Channel {j}: rank {r + 1} by importance ({importance}), mean |∂L/∂x| {meanAbs}";
            h.Append($"<tr data-channel=\"{j}\" data-caption=\"{Html.Text(caption)}\"><td class=\"num\">{r + 1}</td>")
                .Append($"<td><button type=\"button\" class=\"pick\" data-channel=\"{j}\" aria-pressed=\"false\">{j}</button></td>")
                .Append($"<td class=\"num\">{importance}</td><td class=\"num\">{meanAbs}</td><td class=\"num\">{magnitudeRank[j]}</td></tr>\n");
        }
        h.Append("</tbody></table>\n<div class=\"preview\" aria-live=\"polite\"><p class=\"caption\">Hover, focus or press a channel to see its maps.</p><div class=\"maps\"></div></div>\n</div>\n");
    }

    /// <summary>Every channel of the cluster by importance, folded.</summary>
    private static void All(StringBuilder h, ClusterTrace c)
    {
        var magnitudeRank = MagnitudeRanks(c);
        h.Append($"<details><summary>All {Html.Number(c.BySigned.Length)} channels by importance</summary>\n<table class=\"all\">\n")
            .Append("<thead><tr><th>rank</th><th>channel</th><th>importance (−mean ∂L/∂x)</th><th>mean |∂L/∂x|</th><th>rank by |∂L/∂x|</th></tr></thead>\n<tbody>\n");
        for (int r = 0; r < c.BySigned.Length; r++)
        {
            int j = c.BySigned[r];
            h.Append($"<tr><td class=\"num\">{r + 1}</td><td class=\"num\">{j}</td><td class=\"num\">{Html.Number(c.Importance(j), "+0.000E+0;-0.000E+0")}</td>")
                .Append($"<td class=\"num\">{Html.Number(c.MeanAbsGradient[j], "0.000E+0")}</td><td class=\"num\">{magnitudeRank[j]}</td></tr>\n");
        }
        h.Append("</tbody></table>\n</details>\n");
    }

    /// <summary>Per channel its 1-based rank by mean |∂L/∂x| (the rank_by_magnitude column of channels.csv).</summary>
    private static int[] MagnitudeRanks(ClusterTrace c)
    {
        var rank = new int[c.ByMagnitude.Length];
        for (int r = 0; r < c.ByMagnitude.Length; r++)
            rank[c.ByMagnitude[r]] = r + 1;
        return rank;
    }

    /// <summary>A two-cell row of a key–value table; <paramref name="valueHtml"/> is already HTML.</summary>
    private static void Row(StringBuilder h, string key, string valueHtml) => h.Append($"<tr><th>{Html.Text(key)}</th><td>{valueHtml}</td></tr>\n");
}
