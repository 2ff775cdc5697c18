// Html: escaping text for HTML, PNG data: URIs and invariant number formatting for the trace report.
using System.Globalization;
using System.Net;

namespace NcutKernels.Cli;

/// <summary>The small pieces every HTML writer of the tool needs.</summary>
internal static class Html
{
    /// <summary>
    /// <paramref name="text"/> safe in element content and in double- or single-quoted attribute values: &lt;, &gt;, &amp;,
    /// " and ' become character references, so a file name such as <c>&lt;script&gt;</c> stays text.
    /// </summary>
    public static string Text(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A data: URI holding the PNG file <paramref name="png"/> (base64), for an img's src.</summary>
    public static string PngUri(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    /// <summary><paramref name="value"/> in <paramref name="format"/> (invariant culture); "n/a" when it is not finite.</summary>
    public static string Number(double value, string format) =>
        double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    /// <summary><paramref name="value"/> in the invariant culture.</summary>
    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
