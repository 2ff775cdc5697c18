// Tolerances: the element-wise closeness check |actual − ref| ≤ atol + rtol·|ref| that the tests share, with a message naming the index.
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;

namespace NcutKernels.Tests;

/// <summary>
/// |actual[e] − expected[e]| ≤ atol + rtol·|expected[e]| for every e, asserted one element at a time (NUnit's
/// Is.EqualTo(expected[e]).Within(…) on the element types given, so float32 pairs compare as float32 as before), each
/// failure naming <c>what[e]</c>, or <c>what[row,col]</c> when the values are a row-major matrix of <c>cols</c> columns.
/// </summary>
internal static class Tolerances
{
    /// <summary>float32 against float32 (flat).</summary>
    public static void AssertClose(float[] actual, float[] expected, double atol, double rtol, string what, int cols = 0)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int e = 0; e < actual.Length; e++)
            Assert.That(actual[e], Is.EqualTo(expected[e]).Within(atol + rtol * Math.Abs(expected[e])), Where(what, e, cols));
    }

    /// <summary>float32 against a float64 reference.</summary>
    public static void AssertClose(float[] actual, double[] expected, double atol, double rtol, string what, int cols = 0)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int e = 0; e < actual.Length; e++)
            Assert.That(actual[e], Is.EqualTo(expected[e]).Within(atol + rtol * Math.Abs(expected[e])), Where(what, e, cols));
    }

    /// <summary>float64 against float64.</summary>
    public static void AssertClose(double[] actual, double[] expected, double atol, double rtol, string what, int cols = 0)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (int e = 0; e < actual.Length; e++)
            Assert.That(actual[e], Is.EqualTo(expected[e]).Within(atol + rtol * Math.Abs(expected[e])), Where(what, e, cols));
    }

    /// <summary>A row-major float64 array against a MathNet matrix of the same shape.</summary>
    public static void AssertClose(double[] actual, Matrix<double> expected, double atol, double rtol, string what = "") =>
        AssertClose(actual, expected.ToRowMajorArray(), atol, rtol, what, expected.ColumnCount);

    private static string Where(string what, int e, int cols) => cols > 0 ? $"{what}[{e / cols},{e % cols}]" : $"{what}[{e}]";
}
