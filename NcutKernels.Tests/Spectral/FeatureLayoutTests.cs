// FeatureLayoutTests: rows ↔ (image, y, x) for stacked patch grids, map extraction, and bad arguments.
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class FeatureLayoutTests
{
    private static readonly FeatureLayout Layout = new([(2, 3), (4, 1)]);

    [Test]
    public void Rows_StackImagesInRowMajorOrder()
    {
        Assert.That(Layout.Images, Is.EqualTo(2));
        Assert.That(Layout.Rows, Is.EqualTo(10));
        Assert.That(Layout.Offset(1), Is.EqualTo(6));
        Assert.That(Layout.Row(0, 1, 2), Is.EqualTo(5));
        Assert.That(Layout.Row(1, 3, 0), Is.EqualTo(9));
        var all = Enumerable.Range(0, 2).SelectMany(m => Enumerable.Range(0, Layout.Height(m))
            .SelectMany(y => Enumerable.Range(0, Layout.Width(m)).Select(x => Layout.Row(m, y, x)))).ToArray();
        Assert.That(all, Is.EqualTo(Enumerable.Range(0, 10)));
    }

    [Test]
    public void Map_CutsOneChannelOfOneImage()
    {
        var f = new float[10, 2];
        for (int i = 0; i < 10; i++)
            f[i, 1] = i;
        var map = Layout.Map(f, 0, 1);
        Assert.That(map, Is.EqualTo(new float[,] { { 0, 1, 2 }, { 3, 4, 5 } }));
        Assert.That(Layout.Map(Enumerable.Range(100, 10).ToArray(), 1), Is.EqualTo(new[,] { { 106 }, { 107 }, { 108 }, { 109 } }));
    }

    [Test]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new FeatureLayout([]));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureLayout([(2, 0)]))!.Message, Does.Contain("2×0"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Layout.Row(2, 0, 0))!.ParamName, Is.EqualTo("image"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Layout.Row(0, 2, 0))!.ParamName, Is.EqualTo("y"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Layout.Row(0, 0, 3))!.ParamName, Is.EqualTo("x"));
        Assert.That(Assert.Throws<ArgumentException>(() => Layout.Map(new float[9, 2], 0, 0))!.Message, Does.Contain("9 rows"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Layout.Map(new float[10, 2], 0, 2))!.ParamName, Is.EqualTo("channel"));
        Assert.That(Assert.Throws<ArgumentException>(() => Layout.Map(new int[3], 0))!.ParamName, Is.EqualTo("values"));
    }
}
