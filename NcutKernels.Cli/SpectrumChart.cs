// SpectrumChart: the eigenvalue spectrum as an inline SVG bar chart (no scripts, no external references).
using System.Text;

namespace NcutKernels.Cli;

/// <summary>Draws eigenvalues λ_first … λ_k as bars over a zero line, with a value axis, indices and a tooltip per bar.</summary>
internal static class SpectrumChart
{
    private const int Width = 640, Height = 250, Left = 56, Right = 12, Top = 36, Bottom = 34;

    /// <summary>Bars up to this many carry their value as text.</summary>
    private const int MaxValueLabels = 20;

    /// <summary>
    /// An &lt;svg&gt; element (for inline use in HTML, no namespace attribute needed) of <paramref name="eigenvalues"/>
    /// from index <paramref name="first"/> (0-based) on; the value axis spans the shown values and zero.
    /// </summary>
    /// <param name="eigenvalues">λ1 … λk, descending.</param>
    /// <param name="first">The first index shown (1 leaves out λ1 = 1, so the others fill the height).</param>
    /// <param name="title">The chart's title, drawn at the top and given as its accessible name (plain text; escaped here).</param>
    public static string Svg(IReadOnlyList<double> eigenvalues, int first, string title)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(first, eigenvalues.Count);
        var shown = eigenvalues.Skip(first).Select(v => double.IsFinite(v) ? v : 0).ToArray();
        double lo = Math.Min(0, shown.Min()), hi = Math.Max(0, shown.Max());
        if (hi - lo <= 0)
            hi = lo + 1;
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom, band = plotW / shown.Length;
        double Y(double v) => Top + (hi - v) / (hi - lo) * plotH;
        string F(double v) => Html.Number(v, "0.#");

        var svg = new StringBuilder();
        svg.Append($"<svg class=\"spectrum\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Html.Text(title)}\">");
        svg.Append($"<text class=\"title\" x=\"{Left}\" y=\"18\">{Html.Text(title)}</text>");
        for (int t = 0; t <= 4; t++)
        {
            double v = lo + (hi - lo) * t / 4, y = Y(v);
            svg.Append($"<line class=\"tick\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(y)}\" y2=\"{F(y)}\"/>");
            svg.Append($"<text class=\"axis\" x=\"{Left - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{Html.Number(v, "G3")}</text>");
        }
        int every = Math.Max(1, (int)Math.Ceiling(shown.Length / 25.0));
        for (int i = 0; i < shown.Length; i++)
        {
            double v = eigenvalues[first + i], x = Left + band * (i + 0.15), w = band * 0.7;
            double y0 = Y(Math.Max(0, shown[i])), y1 = Y(Math.Min(0, shown[i]));
            string index = Html.Number(first + i + 1);
            svg.Append($"<rect class=\"bar\" x=\"{F(x)}\" y=\"{F(y0)}\" width=\"{F(w)}\" height=\"{F(Math.Max(0.5, y1 - y0))}\">");
            svg.Append($"<title>λ{index} = {Html.Number(v, "R")}</title></rect>");
            if (i % every == 0)
                svg.Append($"<text class=\"axis\" x=\"{F(x + w / 2)}\" y=\"{Height - Bottom + 14}\" text-anchor=\"middle\">{index}</text>");
            if (shown.Length <= MaxValueLabels)
                svg.Append($"<text class=\"value\" x=\"{F(x + w / 2)}\" y=\"{F(shown[i] >= 0 ? y0 - 3 : y1 + 11)}\" text-anchor=\"middle\">{Html.Number(v, "F4")}</text>");
        }
        svg.Append($"<line class=\"zero\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(0))}\" y2=\"{F(Y(0))}\"/>");
        svg.Append($"<text class=\"axis\" x=\"{F(Left + plotW / 2)}\" y=\"{Height - 4}\" text-anchor=\"middle\">index i of λi</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }
}
