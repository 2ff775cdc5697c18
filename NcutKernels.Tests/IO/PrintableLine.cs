// PrintableLine: the test-side check that an error message is one line a terminal shows as written (no control, format or separator characters).
using System.Globalization;
using NUnit.Framework;

namespace NcutKernels.Tests.IO;

internal static class PrintableLine
{
    /// <summary>Asserts that <paramref name="text"/> is non-empty, at most <paramref name="maxChars"/> long, and holds no character a terminal would act on or hide.</summary>
    public static void Assert(string text, string context, int maxChars = int.MaxValue)
    {
        NUnit.Framework.Assert.That(text, Is.Not.Empty, context);
        NUnit.Framework.Assert.That(text.Length, Is.LessThanOrEqualTo(maxChars), $"{context}: {text}");
        foreach (char c in text)
        {
            var category = char.GetUnicodeCategory(c);
            bool hidden = char.IsControl(c) || category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
            NUnit.Framework.Assert.That(hidden, Is.False, $"{context}: U+{(int)c:X4} in {text.Replace("\0", "\\0")}");
        }
    }
}
