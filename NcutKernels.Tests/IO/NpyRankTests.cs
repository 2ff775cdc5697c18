// NpyRankTests: reading arrays of more than two dimensions when asked (C and Fortran order), and the 1-D/2-D default kept.
using NcutKernels.IO;
using NUnit.Framework;

namespace NcutKernels.Tests.IO;

[TestFixture]
public class NpyRankTests
{
    private static byte[] File4D(bool fortran, double[] data) =>
        NpyBytes.Build($"{{'descr': '<f8', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': (2, 3, 1, 4), }}", NpyBytes.Bytes(data));

    /// <summary>Element (a, b, c, d) of the 2 × 3 × 1 × 4 test array: 1000·a + 100·b + 10·c + d.</summary>
    private static double Element(int a, int b, int c, int d) => 1000 * a + 100 * b + 10 * c + d;

    [Test]
    public void FourDimensions_InCOrder_AreReadAsTheyAre()
    {
        var data = new double[24];
        for (int a = 0, i = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int d = 0; d < 4; d++, i++)
                    data[i] = Element(a, b, 0, d);
        var array = Npy.Read(new MemoryStream(File4D(false, data)), 4);
        Assert.That(array.Shape, Is.EqualTo(new[] { 2, 3, 1, 4 }));
        Assert.That(array.Doubles, Is.EqualTo(data));
    }

    [Test]
    public void FourDimensions_InFortranOrder_ComeOutInCOrder()
    {
        // Fortran order: the first index runs fastest.
        var fortran = new double[24];
        for (int d = 0, i = 0; d < 4; d++)
            for (int b = 0; b < 3; b++)
                for (int a = 0; a < 2; a++, i++)
                    fortran[i] = Element(a, b, 0, d);
        var array = Npy.Read(new MemoryStream(File4D(true, fortran)), Npy.MaxRank);
        var expected = new double[24];
        for (int a = 0, i = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int d = 0; d < 4; d++, i++)
                    expected[i] = Element(a, b, 0, d);
        Assert.That(array.Doubles, Is.EqualTo(expected));
    }

    [Test]
    public void ByDefault_MoreThanTwoDimensions_AreRefused()
    {
        var file = File4D(false, new double[24]);
        Assert.That(() => Npy.Read(new MemoryStream(file)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("1-D or 2-D"));
        Assert.That(() => Npy.Read(new MemoryStream(file), 3),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("1 to 3 dimensions").And.Message.Contains("(2, 3, 1, 4)"));
    }

    [TestCase(0)]
    [TestCase(Npy.MaxRank + 1)]
    public void MaxRankOutOfRange_Throws(int maxRank)
    {
        Assert.That(() => Npy.Read(new MemoryStream(File4D(false, new double[24])), maxRank),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("maxRank"));
    }

    [Test]
    public void ToMatrix_OfFourDimensions_Throws()
    {
        var array = Npy.Read(new MemoryStream(File4D(false, new double[24])), 4);
        Assert.That(() => array.ToMatrix<double>(), Throws.InvalidOperationException.With.Message.Contains("4-D"));
    }
}
