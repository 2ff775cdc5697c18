// PrintableText: one-line, printable excerpts of untrusted text (file headers, paths, messages) for error messages.
using System.Globalization;
using System.Text;

namespace NcutKernels.IO;

/// <summary>Makes untrusted text safe to print on one line: escapes what a terminal would not show as a glyph, and bounds its length.</summary>
public static class PrintableText
{
    /// <summary>
    /// <paramref name="text"/> with control, format, separator, private-use, unassigned and unpaired surrogate characters
    /// written as <c>\xNN</c> or <c>\uNNNN</c> escapes (so NULs, newlines, escape sequences and bidirectional overrides
    /// cannot break or disguise a line), cut after <paramref name="maxChars"/> output characters and then ended by "…".
    /// </summary>
    /// <param name="text">Any text (null prints as an empty string).</param>
    /// <param name="maxChars">The most characters kept before the ellipsis; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxChars"/> is below 1.</exception>
    public static string Excerpt(string? text, int maxChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 1);
        if (string.IsNullOrEmpty(text))
            return "";
        var sb = new StringBuilder(Math.Min(text.Length, maxChars) + 8);
        for (int i = 0; i < text.Length;)
        {
            string piece;
            int width;
            if (Rune.TryGetRuneAt(text, i, out var rune))
            {
                width = rune.Utf16SequenceLength;
                piece = Shown(rune) ? rune.ToString() : Escape(rune.Value);
            }
            else
            {
                width = 1;
                piece = Escape(text[i]);
            }
            if (sb.Length + piece.Length > maxChars)
                return sb.Append('…').ToString();
            sb.Append(piece);
            i += width;
        }
        return sb.ToString();
    }

    private static bool Shown(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate => false,
        _ => true,
    };

    private static string Escape(int codePoint) => codePoint switch
    {
        < 0x100 => string.Create(CultureInfo.InvariantCulture, $"\\x{codePoint:X2}"),
        < 0x10000 => string.Create(CultureInfo.InvariantCulture, $"\\u{codePoint:X4}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"\\U{codePoint:X8}"),
    };
}
