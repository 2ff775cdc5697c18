// NpyHostileTests: the .npy reader against hostile and unusual headers — declared sizes beyond the file, repeated keys, deep nesting, control bytes — always one clear InvalidDataException line.
using System.Text;
using NcutKernels.IO;
using NUnit.Framework;

namespace NcutKernels.Tests.IO;

[TestFixture]
public class NpyHostileTests
{
    private const string Valid = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";

    private static readonly byte[] TwoDoubles = NpyBytes.Bytes(new double[] { 1.5, -2 });

    /// <summary>The reader's error for <paramref name="file"/>, checked to be one printable line, read seekable and not.</summary>
    private static string Refused(byte[] file)
    {
        string? message = null;
        foreach (var stream in new Stream[] { new MemoryStream(file), new UnseekableStream(file) })
        {
            var e = Assert.Throws<InvalidDataException>(() => Npy.Read(stream))!;
            PrintableLine.Assert(e.Message, "reader error");
            message ??= e.Message;
        }
        return message!;
    }

    [TestCase(0xFFFFFFFFL)]
    [TestCase(0x7FFFFFF0L)]
    [TestCase(0x80000000L)]
    [TestCase(10001L)]
    public void Version2_HugeHeaderLength_IsRefusedBeforeAllocating(long declared)
    {
        var header = Encoding.Latin1.GetBytes(Valid + "\n");
        var message = Refused(NpyBytes.Build(header, TwoDoubles, major: 2, lengthField: declared));
        Assert.That(message, Does.Contain($"{declared} bytes").And.Contain("header length"));
    }

    [Test]
    public void Version1_HeaderLengthBeyondTheFile_SaysHowMuchFollows()
    {
        var header = Encoding.Latin1.GetBytes(Valid + "\n");
        var file = NpyBytes.Build(header, TwoDoubles, major: 1, lengthField: 9000);
        var e = Assert.Throws<InvalidDataException>(() => NpyBytes.Read(file))!;
        Assert.That(e.Message, Does.Contain("9000").And.Contain($"only {header.Length + TwoDoubles.Length} bytes follow"));
        Assert.That(() => Npy.Read(new UnseekableStream(file)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("file ends inside the header"));
    }

    [Test]
    public void EmptyHeader_IsRefused()
    {
        Assert.That(Refused(NpyBytes.Build([], TwoDoubles, major: 1)), Does.Contain("empty"));
    }

    [TestCase("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'shape': (4,), }", "'shape'")]
    [TestCase("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", "'descr'")]
    [TestCase("{'descr': '<f8', 'fortran_order': False, 'fortran_order': True, 'shape': (4,), }", "'fortran_order'")]
    public void RepeatedKey_IsRefused(string dict, string key)
    {
        var message = Refused(NpyBytes.Build(dict, NpyBytes.Bytes(new double[4])));
        Assert.That(message, Does.Contain(key).And.Contain("repeated"));
    }

    [Test]
    public void UnexpectedKey_IsRefused()
    {
        var message = Refused(NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", TwoDoubles));
        Assert.That(message, Does.Contain("'extra'"));
    }

    [TestCase("(-1,)", "negative dimension -1")]
    [TestCase("(2, -3)", "negative dimension -3")]
    [TestCase("(2147483648,)", "2147483648 above 2147483647")]
    [TestCase("(99999999999999999999999999,)", "above 2147483647")]
    [TestCase("(2147483647, 2147483647)", "more than the")]
    [TestCase("(2147483647, 2147483647, 2147483647)", "1-D or 2-D")]
    public void ShapeBeyondWhatAnArrayHolds_IsRefused(string shape, string says)
    {
        var message = Refused(NpyBytes.Build($"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}", TwoDoubles));
        Assert.That(message, Does.Contain(says));
    }

    [Test]
    public void ManyDimensions_AreQuotedShort()
    {
        string shape = "(" + string.Join(", ", Enumerable.Repeat("1", 3000)) + ")";
        var message = Refused(NpyBytes.Build($"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}", TwoDoubles, major: 2));
        Assert.That(message, Does.Contain("1-D or 2-D"));
        Assert.That(message.Length, Is.LessThan(200), message);
    }

    [TestCase("[2]", "not a tuple")]
    [TestCase("(2)", "not a tuple")]
    [TestCase("(2.0,)", "malformed number")]
    [TestCase("('2',)", "not a tuple of integers")]
    [TestCase("(0x2,)", "malformed number")]
    [TestCase("None", "not a tuple")]
    public void ShapeNotATupleOfIntegers_IsRefused(string shape, string says)
    {
        Assert.That(Refused(NpyBytes.Build($"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}", TwoDoubles)), Does.Contain(says));
    }

    [TestCase("0")]
    [TestCase("'True'")]
    [TestCase("None")]
    public void FortranOrderNotABool_IsRefused(string value)
    {
        var message = Refused(NpyBytes.Build($"{{'descr': '<f8', 'fortran_order': {value}, 'shape': (2,), }}", TwoDoubles));
        Assert.That(message, Does.Contain("'fortran_order'"));
    }

    [TestCase('(')]
    [TestCase('[')]
    public void DeepNesting_IsRefusedWithoutExhaustingTheStack(char open)
    {
        string deep = new string(open, 9000);
        var message = Refused(NpyBytes.Build($"{{'descr': '<f8', 'fortran_order': False, 'shape': {deep}", TwoDoubles, major: 2));
        Assert.That(message, Does.Contain("nested more than 32 deep"));
    }

    [Test]
    public void DeepDicts_AreRefused()
    {
        string deep = string.Concat(Enumerable.Repeat("{'a': ", 500));
        Assert.That(Refused(NpyBytes.Build(deep, TwoDoubles, major: 2)), Does.Contain("nested"));
    }

    [TestCase("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), **x}", "unexpected character")]
    [TestCase("__import__('os').system('true')", "not True, False or None")]
    [TestCase("{'descr': b'<f8', 'fortran_order': False, 'shape': (2,), }", "not True, False or None")]
    [TestCase("{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (2,), }", "escape sequence")]
    [TestCase("{'descr': '<f8, 'fortran_order': False, 'shape': (2,), }", "expected ',' or '}' in a dict")]
    [TestCase("{'descr' '<f8'}", "expected ':'")]
    [TestCase("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } junk", "unexpected text after")]
    [TestCase("{1: '<f8'}", "not a string")]
    [TestCase("('descr', '<f8')", "not a dict")]
    [TestCase("{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (2,), }", "structured dtypes")]
    [TestCase("{'descr': '<f8', 'fortran_order': False, 'shape': (2,)", "the end")]
    [TestCase("{'descr': '<f8\n', 'fortran_order': False, 'shape': (2,)}", "line break inside a string")]
    public void GarbagePythonLiterals_AreRefused(string header, string says)
    {
        Assert.That(Refused(NpyBytes.Build(header, TwoDoubles)), Does.Contain(says));
    }

    [Test]
    public void NulAndEscapeBytes_AreEscapedInTheMessage()
    {
        var message = Refused(NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, \0\u001b[2J\u202e 'shape': (2,), }", TwoDoubles, major: 3));
        Assert.That(message, Does.Contain("\\x00").And.Contain("\\x1B").And.Contain("\\u202E"));
    }

    [Test]
    public void DescrWithControlBytes_IsQuotedEscaped()
    {
        var message = Refused(NpyBytes.Build("{'descr': '<f8\u001b[31m\u0007', 'fortran_order': False, 'shape': (2,), }", TwoDoubles));
        Assert.That(message, Does.Contain("unsupported dtype").And.Contain("\\x1B[31m\\x07"));
    }

    [Test]
    public void LongGarbageHeader_EchoesAtMostAbout80Characters()
    {
        string garbage = new string('X', 3000) + "\u0001";
        var message = Refused(NpyBytes.Build($"{{'descr': '<f8', 'fortran_order': False, 'shape': {garbage}}}", TwoDoubles, major: 2));
        Assert.That(message.Count(c => c == 'X'), Is.InRange(1, 80), message);
        var longDescr = Refused(NpyBytes.Build($"{{'descr': '{new string('d', 5000)}', 'fortran_order': False, 'shape': (2,), }}", TwoDoubles, major: 2));
        Assert.That(longDescr.Count(c => c == 'd'), Is.InRange(1, 80), longDescr);
    }

    [Test]
    public void Version3_InvalidUtf8_IsRefused()
    {
        var header = Encoding.Latin1.GetBytes(Valid.Replace("'<f8'", "'<f8\u00ff'") + "\n");
        Assert.That(Refused(NpyBytes.Build(header, TwoDoubles, major: 3)), Does.Contain("UTF-8"));
    }

    [Test]
    public void Version3_Utf8Header_IsRead()
    {
        var a = NpyBytes.Read(NpyBytes.Build(Valid, TwoDoubles, major: 3));
        Assert.That(a.Doubles, Is.EqualTo(new[] { 1.5, -2 }));
    }

    [TestCase(1, 1)]
    [TestCase(0, 0)]
    [TestCase(4, 0)]
    [TestCase(2, 255)]
    public void UnsupportedVersion_IsRefused(int major, int minor)
    {
        var file = NpyBytes.Build(Valid, TwoDoubles, major: Math.Clamp(major, 1, 3));
        file[6] = (byte)major;
        file[7] = (byte)minor;
        Assert.That(Refused(file), Does.Contain($"version {major}.{minor}"));
    }

    [TestCase(">f4")]
    [TestCase(">f8")]
    public void BigEndian_SaysHowToConvert(string descr)
    {
        var message = Refused(NpyBytes.Build($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}", new byte[16]));
        Assert.That(message, Does.Contain($"astype('<{descr[1..]}')"));
    }

    [Test]
    public void Python2LongSuffixes_AndOtherPythonSpellings_AreRead()
    {
        // numpy strips Python 2's L suffix from old headers; tuples may carry a trailing comma, spaces, signs and digit underscores.
        var file = NpyBytes.Build("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":( 1_0L , + 1, ),}", NpyBytes.Bytes(new float[10]), pad: false);
        Assert.That(NpyBytes.Read(file).Shape, Is.EqualTo(new[] { 10, 1 }));
    }

    [Test]
    public void ZeroRows_AreRead()
    {
        var a = NpyBytes.Read(NpyBytes.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", []));
        Assert.That(a.Shape, Is.EqualTo(new[] { 0, 3 }));
        Assert.That(a.Singles, Is.Empty);
    }

    [Test]
    public void UnseekableStream_ReadsTheSameAsSeekable()
    {
        var values = Enumerable.Range(0, 6).Select(i => i * 0.5).ToArray();
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", NpyBytes.Bytes(values));
        Assert.That(Npy.Read(new UnseekableStream(file)).Doubles, Is.EqualTo(NpyBytes.Read(file).Doubles));
    }

    [Test]
    public void UnseekableStream_HugeDeclaredData_FailsAtTheEndOfTheStream()
    {
        // 2³⁰ doubles declared (8 GiB), 16 bytes present: the reader must report the short data, not allocate first.
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824,), }", TwoDoubles);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new UnseekableStream(file)))!;
        Assert.That(e.Message, Does.Contain("file ends inside the data (16 of 8589934592 bytes)"));
    }

    [Test]
    public void Folder_AsInput_SaysItIsAFolder()
    {
        string dir = TempFolder.Create("ncut-npy-folder-");
        try
        {
            Assert.That(() => Npy.Read(dir), Throws.TypeOf<InvalidDataException>().With.Message.Contains("is a folder"));
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    /// <summary>A read-only stream that cannot seek, like a pipe.</summary>
    internal sealed class UnseekableStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
