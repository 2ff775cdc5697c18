// PrintableTextTests: excerpts of untrusted text escape what a terminal would act on or hide, keep ordinary text, and stop at the length asked for.
using NcutKernels.IO;
using NUnit.Framework;

namespace NcutKernels.Tests.IO;

[TestFixture]
public class PrintableTextTests
{
    [TestCase("a\0b", "a\\x00b")]
    [TestCase("line\nbreak\r", "line\\x0Abreak\\x0D")]
    [TestCase("\u001b[31mred", "\\x1B[31mred")]
    [TestCase("del\u007f c1\u0085", "del\\x7F c1\\x85")]
    [TestCase("bidi\u202eevil", "bidi\\u202Eevil")]
    [TestCase("zero\u200bwidth", "zero\\u200Bwidth")]
    [TestCase("sep\u2028par\u2029", "sep\\u2028par\\u2029")]
    [TestCase("private \ue000", "private \\uE000")]
    public void HiddenCharacters_AreEscaped(string text, string expected)
    {
        Assert.That(PrintableText.Excerpt(text, 80), Is.EqualTo(expected));
    }

    [Test]
    public void LoneSurrogate_IsEscaped()
    {
        // Built in code: an attribute argument cannot carry an unpaired surrogate (its UTF-8 metadata replaces it).
        string text = "lone " + (char)0xD800 + " and " + (char)0xDC00;
        Assert.That(PrintableText.Excerpt(text, 80), Is.EqualTo("lone \\uD800 and \\uDC00"));
    }

    [TestCase("σ = 0.5, λ₂ ≈ 1e-3 — ÿ 日本 😀 'quotes' \"double\" \\ tab-free")]
    public void OrdinaryText_IsKept(string text)
    {
        Assert.That(PrintableText.Excerpt(text, 200), Is.EqualTo(text));
    }

    [Test]
    public void LongText_IsCutWithAnEllipsis_NeverInsideAnEscapeOrAPair()
    {
        Assert.That(PrintableText.Excerpt(new string('a', 200), 80), Is.EqualTo(new string('a', 80) + "…"));
        Assert.That(PrintableText.Excerpt(new string('a', 78) + "\0", 80), Is.EqualTo(new string('a', 78) + "…"), "the escape does not fit whole");
        Assert.That(PrintableText.Excerpt(new string('a', 79) + "😀", 80), Is.EqualTo(new string('a', 79) + "…"), "the surrogate pair is not split");
        Assert.That(PrintableText.Excerpt(new string('a', 80), 80), Is.EqualTo(new string('a', 80)), "exactly the limit: no ellipsis");
    }

    [Test]
    public void NullOrEmpty_IsEmpty_AndTheLimitIsChecked()
    {
        Assert.That(PrintableText.Excerpt(null, 10), Is.Empty);
        Assert.That(PrintableText.Excerpt("", 10), Is.Empty);
        Assert.That(() => PrintableText.Excerpt("x", 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("maxChars"));
    }
}
