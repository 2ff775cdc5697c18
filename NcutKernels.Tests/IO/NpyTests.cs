// NpyTests: .npy round trips, hand-built Fortran-order and v2.0 files, aligned headers, and malformed files.
using System.Buffers.Binary;
using System.Text;
using NcutKernels.IO;
using NUnit.Framework;

namespace NcutKernels.Tests.IO;

[TestFixture]
public class NpyTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = TempFolder.Create("ncut-npy-tests-");
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private string TempFile(string name) => Path.Combine(_dir, name);

    [Test]
    public void Float32Matrix_RoundTrips()
    {
        var data = TestData.Grid(5, 3, 1, rng => (float)(rng.NextDouble() * 200 - 100));
        data[2, 1] = float.Epsilon;
        data[4, 0] = -0f;
        string path = TempFile("f32.npy");
        Npy.Write(path, data);
        var back = Npy.Read(path);
        Assert.That(back.Shape, Is.EqualTo(new[] { 5, 3 }));
        Assert.That(back.IsDouble, Is.False);
        Assert.That(back.Doubles, Is.Null);
        Assert.That(back.Singles, Has.Length.EqualTo(15));
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 3; j++)
                Assert.That(BitConverter.SingleToInt32Bits(back.Singles![i * 3 + j]), Is.EqualTo(BitConverter.SingleToInt32Bits(data[i, j])), $"[{i},{j}]");
        Assert.That(back.ToMatrix<float>(), Is.EqualTo(data));
    }

    [Test]
    public void Float64Matrix_RoundTrips()
    {
        var data = TestData.Uniform(4, 7, seed: 3);
        data[0, 0] = double.MaxValue;
        data[3, 6] = -1e-300;
        string path = TempFile("f64.npy");
        Npy.Write(path, data);
        var back = Npy.Read(path);
        Assert.That(back.Shape, Is.EqualTo(new[] { 4, 7 }));
        Assert.That(back.IsDouble, Is.True);
        Assert.That(back.Singles, Is.Null);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 7; j++)
                Assert.That(back.Doubles![i * 7 + j], Is.EqualTo(data[i, j]), $"[{i},{j}]");
        Assert.That(back.ToMatrix<double>(), Is.EqualTo(data));
    }

    [Test]
    public void Float64Vector_RoundTrips_AndBecomesAColumn()
    {
        double[] data = [3.5, -2.25, 0, 1e10, Math.PI];
        string path = TempFile("vec.npy");
        Npy.Write(path, data);
        var back = Npy.Read(path);
        Assert.That(back.Shape, Is.EqualTo(new[] { 5 }));
        Assert.That(back.Doubles, Is.EqualTo(data));
        var column = back.ToMatrix<double>();
        Assert.That(column.GetLength(0), Is.EqualTo(5));
        Assert.That(column.GetLength(1), Is.EqualTo(1));
        for (int i = 0; i < 5; i++)
            Assert.That(column[i, 0], Is.EqualTo(data[i]));
    }

    [Test]
    public void FortranOrderFloat64_IsTransposedToCOrder()
    {
        // a[i, j] = 10·i + j, 2×3, stored column by column.
        const int rows = 2, cols = 3;
        var fortran = new double[rows * cols];
        for (int j = 0; j < cols; j++)
            for (int i = 0; i < rows; i++)
                fortran[j * rows + i] = 10 * i + j;
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", NpyBytes.Bytes(fortran));
        var a = NpyBytes.Read(file);
        Assert.That(a.Shape, Is.EqualTo(new[] { rows, cols }));
        Assert.That(a.Doubles, Is.EqualTo(new double[] { 0, 1, 2, 10, 11, 12 }));
    }

    [Test]
    public void FortranOrderFloat32_IsTransposedToCOrder()
    {
        // 3×2 stored column-major: columns (1, 2, 3) and (4, 5, 6).
        var file = NpyBytes.Build("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }", NpyBytes.Bytes(new float[] { 1, 2, 3, 4, 5, 6 }));
        var a = NpyBytes.Read(file);
        Assert.That(a.Shape, Is.EqualTo(new[] { 3, 2 }));
        Assert.That(a.Singles, Is.EqualTo(new float[] { 1, 4, 2, 5, 3, 6 }));
        var m = a.ToMatrix<float>();
        Assert.That(m[2, 1], Is.EqualTo(6f));
        Assert.That(m[0, 1], Is.EqualTo(4f));
    }

    [Test]
    public void FortranOrderVector_IsUnchanged()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': True, 'shape': (3,), }", NpyBytes.Bytes(new double[] { 7, 8, 9 }));
        Assert.That(NpyBytes.Read(file).Doubles, Is.EqualTo(new double[] { 7, 8, 9 }));
    }

    [Test]
    public void KeysInOtherOrder_AreRead()
    {
        // numpy writes keys sorted, but the format allows any order and spacing.
        var file = NpyBytes.Build("{'shape':(2,2),'fortran_order':False,'descr':'<f8'}", NpyBytes.Bytes(new double[] { 1, 2, 3, 4 }));
        var a = NpyBytes.Read(file);
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 2 }));
        Assert.That(a.Doubles, Is.EqualTo(new double[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void Version2Header_IsRead()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", NpyBytes.Bytes(new double[] { 1.5, -2, 3, 4.25 }), major: 2);
        Assert.That(file[6], Is.EqualTo(2), "sanity: the file says version 2");
        var a = NpyBytes.Read(file);
        Assert.That(a.Shape, Is.EqualTo(new[] { 2, 2 }));
        Assert.That(a.Doubles, Is.EqualTo(new double[] { 1.5, -2, 3, 4.25 }));
    }

    [Test]
    public void Version2Header_FromFile_IsRead()
    {
        string path = TempFile("v2.npy");
        File.WriteAllBytes(path, NpyBytes.Build("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", NpyBytes.Bytes(new float[] { 1, 2, 3 }), major: 2));
        Assert.That(Npy.Read(path).Singles, Is.EqualTo(new float[] { 1, 2, 3 }));
    }

    [Test]
    public void WrittenHeader_Is64ByteAligned_AndParseable()
    {
        string path = TempFile("aligned.npy");
        var data = new double[,] { { 1, 2, 3 }, { 4, 5, 6 } };
        Npy.Write(path, data);
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.AsSpan(0, 6).ToArray(), Is.EqualTo(NpyBytes.Magic));
        Assert.That(bytes[6], Is.EqualTo(1), "major version");
        Assert.That(bytes[7], Is.EqualTo(0), "minor version");
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8, 2));
        int dataStart = 10 + headerLength;
        Assert.That(dataStart % 64, Is.EqualTo(0), "magic + version + length + header must be a multiple of 64 bytes");
        Assert.That(bytes.Length - dataStart, Is.EqualTo(6 * sizeof(double)));
        string header = Encoding.Latin1.GetString(bytes, 10, headerLength);
        Assert.That(header, Does.EndWith("\n"));
        Assert.That(header, Does.StartWith("{"));
        Assert.That(header, Does.Contain("'descr': '<f8'"));
        Assert.That(header, Does.Contain("'fortran_order': False"));
        Assert.That(header, Does.Contain("'shape': (2, 3)"));
        Assert.That(header.TrimEnd(' ', '\n'), Does.EndWith("}"));
        for (int i = 0; i < 6; i++)
            Assert.That(BitConverter.ToDouble(bytes, dataStart + 8 * i), Is.EqualTo((double)(i + 1)));
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(123456)]
    public void WrittenVectorHeader_Is64ByteAligned_WithTupleComma(int n)
    {
        string path = TempFile("vec-aligned.npy");
        Npy.Write(path, new double[n]);
        var bytes = File.ReadAllBytes(path);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8, 2));
        Assert.That((10 + headerLength) % 64, Is.EqualTo(0));
        Assert.That(Encoding.Latin1.GetString(bytes, 10, headerLength), Does.Contain($"'shape': ({n},)"));
        Assert.That(bytes.Length, Is.EqualTo(10 + headerLength + 8 * n));
    }

    [Test]
    public void BadMagic_ThrowsInvalidData()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", NpyBytes.Bytes(new double[] { 1 }));
        file[1] = (byte)'X';
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("magic"));
    }

    [Test]
    public void BadMagic_FromFile_MessageNamesThePath()
    {
        string path = TempFile("garbage.npy");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("this is not a numpy file at all"));
        Assert.That(() => Npy.Read(path),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("garbage.npy").And.Message.Contains("magic"));
    }

    [Test]
    public void TruncatedData_ThrowsInvalidData()
    {
        // Header promises 3×2 doubles, only 5 are there.
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", NpyBytes.Bytes(new double[5]));
        Assert.That(() => NpyBytes.Read(file),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("data").And.Message.Contains("40 of 48"));
    }

    [Test]
    public void TruncatedHeader_ThrowsInvalidData()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", []);
        Assert.That(() => NpyBytes.Read(file[..30]), Throws.TypeOf<InvalidDataException>().With.Message.Contains("header"));
        Assert.That(() => NpyBytes.Read(file[..4]), Throws.TypeOf<InvalidDataException>().With.Message.Contains("preamble"));
    }

    [Test]
    public void UnsupportedDtype_ThrowsInvalidData_NamingIt()
    {
        var file = NpyBytes.Build("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", new byte[16]);
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("'<c8'"));
    }

    [Test]
    public void BigEndianFloat_ThrowsInvalidData()
    {
        var file = NpyBytes.Build("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", new byte[8]);
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("'>f8'"));
    }

    [Test]
    public void ThreeDimensionalShape_ThrowsInvalidData()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", NpyBytes.Bytes(new double[8]));
        Assert.That(() => NpyBytes.Read(file),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("1-D or 2-D").And.Message.Contains("2, 2, 2"));
    }

    [Test]
    public void ScalarShape_ThrowsInvalidData()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", NpyBytes.Bytes(new double[1]));
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void MissingShapeKey_ThrowsInvalidData_NamingIt()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, }", NpyBytes.Bytes(new double[2]));
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("'shape'"));
    }

    [Test]
    public void MissingDescrKey_ThrowsInvalidData_NamingIt()
    {
        var file = NpyBytes.Build("{'fortran_order': False, 'shape': (2,), }", NpyBytes.Bytes(new double[2]));
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("'descr'"));
    }

    [Test]
    public void NegativeShapeEntry_ThrowsInvalidData()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (-2, 3), }", NpyBytes.Bytes(new double[6]));
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("-2"));
    }

    [Test]
    public void HugeShapeOnTruncatedFile_ThrowsInvalidData()
    {
        // 300 000 000 doubles = 2.4 GB: more bytes than an int counts, though fewer elements than Array.MaxLength.
        // A corrupt header like this must be reported as malformed data, not escape as an arithmetic error.
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (300000000,), }", NpyBytes.Bytes(new double[4]));
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void UnsupportedVersion_ThrowsInvalidData()
    {
        var file = NpyBytes.Build("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", NpyBytes.Bytes(new double[1]));
        file[6] = 9;
        Assert.That(() => NpyBytes.Read(file), Throws.TypeOf<InvalidDataException>().With.Message.Contains("version 9"));
    }

    [Test]
    public void MissingFile_ThrowsFileNotFound()
    {
        Assert.That(() => Npy.Read(TempFile("does-not-exist.npy")), Throws.InstanceOf<FileNotFoundException>());
    }
}
