// GridFeaturesTests: a B × H × W × C tensor as feature rows in FeatureLayout order (FeatureLayout.OfEqualGrids), with conversion and bad arguments.
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class GridFeaturesTests
{
    [Test]
    public void Rows_FollowTheLayout_ItemByItemRowByRow()
    {
        // Element (b, y, x, c) = 1000·b + 100·y + 10·x + c, in a 2 × 2 × 3 × 2 tensor.
        int[] shape = [2, 2, 3, 2];
        var tensor = new double[24];
        for (int b = 0, i = 0; b < 2; b++)
            for (int y = 0; y < 2; y++)
                for (int x = 0; x < 3; x++)
                    for (int c = 0; c < 2; c++, i++)
                        tensor[i] = 1000 * b + 100 * y + 10 * x + c;
        var (rows, layout) = GridFeatures.FromTensor<double, float>(tensor, shape);
        Assert.That((layout.Images, layout.Rows, layout.Height(1), layout.Width(1)), Is.EqualTo((2, 12, 2, 3)));
        Assert.That((rows.GetLength(0), rows.GetLength(1)), Is.EqualTo((12, 2)));
        Assert.That(rows[layout.Row(1, 1, 2), 1], Is.EqualTo(1121f));
        Assert.That(layout.Map(rows, 1, 0), Is.EqualTo(new float[,] { { 1000, 1010, 1020 }, { 1100, 1110, 1120 } }));
    }

    [Test]
    public void OfEqualGrids_RepeatsOneGrid()
    {
        var layout = FeatureLayout.OfEqualGrids(3, 2, 5);
        Assert.That((layout.Images, layout.Rows, layout.Offset(2), layout.Height(2), layout.Width(2)), Is.EqualTo((3, 30, 20, 2, 5)));
        Assert.That(() => FeatureLayout.OfEqualGrids(0, 2, 5), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("images"));
        Assert.That(() => FeatureLayout.OfEqualGrids(2, 0, 5), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("height"));
        Assert.That(() => FeatureLayout.OfEqualGrids(65536, 65536, 1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("more than"));
    }

    [Test]
    public void NonFiniteValue_IsNamedByItemGridPositionAndChannel()
    {
        var tensor = new float[2 * 3 * 4 * 5];
        tensor[((1 * 3 + 2) * 4 + 1) * 5 + 3] = float.PositiveInfinity;
        var e = Assert.Throws<ArgumentException>(() => GridFeatures.FromTensor<float, float>(tensor, [2, 3, 4, 5]))!;
        Assert.That(e.ParamName, Is.EqualTo("tensor"));
        Assert.That(e.Message, Does.Contain("Infinity").And.Contain("item 1, grid row 2, column 1, channel 3"));
    }

    [Test]
    public void Float64TooLargeForFloat32_IsRefused()
    {
        var tensor = new double[4];
        tensor[3] = 1e300;
        Assert.That(() => GridFeatures.FromTensor<double, float>(tensor, [1, 2, 2, 1]),
            Throws.ArgumentException.With.Message.Contains("overflows Single").And.Message.Contains("item 0, grid row 1, column 1, channel 0"));
        Assert.That(GridFeatures.FromTensor<double, double>(tensor, [1, 2, 2, 1]).Rows[3, 0], Is.EqualTo(1e300));
    }

    [TestCase(new[] { 2, 3, 4 }, "four dimensions")]
    [TestCase(new[] { 2, 3, 0, 5 }, "at least 1")]
    [TestCase(new[] { 2, 3, 4, 4 }, "needs 96")]
    public void BadShape_IsRefused_NamingTheParameter(int[] shape, string says)
    {
        var e = Assert.Throws<ArgumentException>(() => GridFeatures.FromTensor<float, float>(new float[120], shape))!;
        Assert.That(e.ParamName, Is.AnyOf("shape", "tensor"));
        Assert.That(e.Message, Does.Contain(says));
    }
}
