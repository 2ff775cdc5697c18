// NpyIntegerTests: integer .npy — int[] written as int64 ('<i8', checked byte by byte and, where numpy is installed, by numpy), int32/int64 files read back, big-endian refused.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using NcutKernels.IO;
using NUnit.Framework;

namespace NcutKernels.Tests.IO;

[TestFixture]
public class NpyIntegerTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = TempFolder.Create("ncut-npy-int-tests-");

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static readonly int[] Extremes = [0, 1, -1, 7, int.MaxValue, int.MinValue, 123456789];

    [Test]
    public void IntVector_RoundTrips_AsInt64()
    {
        string path = Path.Combine(_dir, "labels.npy");
        Npy.Write(path, Extremes);
        var back = Npy.Read(path);
        Assert.That(back.Shape, Is.EqualTo(new[] { Extremes.Length }));
        Assert.That(back.IsInteger, Is.True);
        Assert.That(back.IsDouble, Is.False);
        Assert.That(back.Singles, Is.Null);
        Assert.That(back.Doubles, Is.Null);
        Assert.That(back.Int64s, Is.EqualTo(Extremes.Select(v => (long)v).ToArray()));
        var column = back.ToMatrix<double>();
        for (int i = 0; i < Extremes.Length; i++)
            Assert.That(column[i, 0], Is.EqualTo((double)Extremes[i]), $"[{i}]");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(9)]
    [TestCase(100_000)]
    public void WrittenIntHeaderAndPayload_AreNumpysInt64Layout(int n)
    {
        var data = Enumerable.Range(0, n).Select(i => (i * 7919) % 13 - 6).ToArray();
        using var stream = new MemoryStream();
        Npy.Write(stream, data);
        var bytes = stream.ToArray();
        Assert.That(bytes.AsSpan(0, 6).ToArray(), Is.EqualTo(NpyBytes.Magic));
        Assert.That((bytes[6], bytes[7]), Is.EqualTo(((byte)1, (byte)0)), "format 1.0");
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8, 2));
        int dataStart = 10 + headerLength;
        Assert.That(dataStart % 64, Is.EqualTo(0), "the data starts on a 64-byte boundary");
        Assert.That(Encoding.Latin1.GetString(bytes, 10, headerLength),
            Is.EqualTo($"{{'descr': '<i8', 'fortran_order': False, 'shape': ({n},), }}".PadRight(headerLength - 1) + "\n"));
        Assert.That(bytes.Length - dataStart, Is.EqualTo(8 * n));
        for (int i = 0; i < n; i++)
            Assert.That(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(dataStart + 8 * i, 8)), Is.EqualTo(data[i]), $"[{i}]");
    }

    [Test]
    public void Int32File_IsRead_IntoInt64s()
    {
        var payload = new byte[4 * Extremes.Length];
        for (int i = 0; i < Extremes.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(4 * i), Extremes[i]);
        var a = NpyBytes.Read(NpyBytes.Build($"{{'descr': '<i4', 'fortran_order': False, 'shape': ({Extremes.Length},), }}", payload));
        Assert.That(a.IsInteger, Is.True);
        Assert.That(a.Int64s, Is.EqualTo(Extremes.Select(v => (long)v).ToArray()));
    }

    [Test]
    public void Int64FortranOrder_IsTransposedToCOrder()
    {
        // a[i, j] = 10·i + j (2×3) stored column by column, with values beyond int32.
        long[] fortran = [0, 10, 1, 11, 2 + (1L << 40), 12];
        var payload = new byte[8 * fortran.Length];
        for (int i = 0; i < fortran.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8 * i), fortran[i]);
        var a = NpyBytes.Read(NpyBytes.Build("{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3), }", payload, major: 2));
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(a.Int64s, Is.EqualTo(new[] { 0, 1, 2 + (1L << 40), 10, 11, 12 }));
        Assert.That(a.ToMatrix<double>()[0, 2], Is.EqualTo((double)(2 + (1L << 40))));
    }

    [TestCase(">i8")]
    [TestCase(">i4")]
    public void BigEndianInt_SaysHowToConvert(string descr)
    {
        var file = NpyBytes.Build($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}", new byte[16]);
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains($"astype('<{descr[1..]}')"));
    }

    [TestCase("<i2")]
    [TestCase("<u8")]
    [TestCase("|u1")]
    public void OtherIntegerDtypes_AreRefused_NamingThem(string descr)
    {
        var file = NpyBytes.Build($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}", new byte[16]);
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains($"'{descr}'").And.Message.Contains("'<i8'"));
    }

    [Test]
    public void Write_NullArguments_Throw()
    {
        Assert.That(() => Npy.Write(Path.Combine(_dir, "x.npy"), (int[])null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("data"));
        Assert.That(() => Npy.Write((Stream)null!, Extremes), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
        Assert.That(File.Exists(Path.Combine(_dir, "x.npy")), Is.False);
    }

    [Test]
    public void Numpy_ReadsTheWrittenLabels_AsInt64()
    {
        string? python = new[] { "/usr/bin/python3", "python3" }.FirstOrDefault(p => RunPython(p, "import numpy").Code == 0);
        if (python is null)
            Assert.Ignore("no python3 with numpy on this machine");
        string path = Path.Combine(_dir, "labels.npy");
        Npy.Write(path, Extremes);
        var (code, output) = RunPython(python, $"import numpy as np; a = np.load(r'{path}'); print(a.dtype, a.shape, ' '.join(map(str, a.tolist())))");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output.Trim(), Is.EqualTo($"int64 ({Extremes.Length},) {string.Join(' ', Extremes)}"));
    }

    /// <summary>Runs `python -c code` (a minute at most): its exit code (−1 when it cannot start) and stdout + stderr.</summary>
    private static (int Code, string Output) RunPython(string python, string code)
    {
        try
        {
            var (exit, stdout, stderr) = ChildProcess.Run(new ProcessStartInfo(python, ["-c", code]), TimeSpan.FromMinutes(1));
            return (exit, stdout + stderr);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, "");
        }
    }
}
