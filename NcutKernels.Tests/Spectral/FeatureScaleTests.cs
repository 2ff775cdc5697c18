// FeatureScaleTests: the exponent of the power-of-two rescale (safe range, unit range, subnormals), its exactness, σ's units and the σ limit, and the fused finiteness + max|x| scan.
using NUnit.Framework;
using NcutKernels.Core;
using NcutKernels.Spectral;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class FeatureScaleTests
{
    // float32's safe range is [2^-32, 2^32), float64's [2^-256, 2^256): inside, the features are used as given.
    [TestCase(1.0, 0)]
    [TestCase(4294967040.0, 0)]        // largest float below 2^32
    [TestCase(4294967296.0, 32)]       // 2^32
    [TestCase(2.3283064365386963e-10, 0)] // 2^-32
    [TestCase(1.1641532182693481e-10, -33)] // 2^-33
    [TestCase(3e38, 127)]
    [TestCase(1.401298464324817e-45, -149)] // the smallest subnormal float
    [TestCase(0.0, 0)]
    public void Float32Exponent(double maxAbs, int expected) =>
        Assert.That(FeatureScale.Of((float)maxAbs).Exponent, Is.EqualTo(expected));

    [TestCase(1.0, 0)]
    [TestCase(1e77, 0)]       // ILogB 255: inside
    [TestCase(1.2e77, 256)]   // ILogB 256
    [TestCase(1e-77, 0)]      // ILogB −256: inside
    [TestCase(1e-78, -260)]
    [TestCase(double.MaxValue, 1023)]
    [TestCase(double.Epsilon, -1074)]
    public void Float64Exponent(double maxAbs, int expected) =>
        Assert.That(FeatureScale.Of(maxAbs).Exponent, Is.EqualTo(expected));

    [TestCase(3.0, 1)]
    [TestCase(1.0, 0)]
    [TestCase(0.75, -1)]
    [TestCase(1e300, 996)]
    [TestCase(0.0, 0)]
    public void Unit_PutsTheLargestValueInOneToTwo(double maxAbs, int expected)
    {
        var unit = FeatureScale.Unit(maxAbs);
        Assert.That(unit.Exponent, Is.EqualTo(expected));
        if (maxAbs > 0)
            Assert.That(Math.ScaleB(maxAbs, -unit.Exponent), Is.InRange(1.0, 2.0).And.LessThan(2.0));
    }

    [Test]
    public void ForCosine_IsTheUnitScale_ForRbfTheSafeRange()
    {
        var safe = FeatureScale.Of(40.0);
        Assert.That(FeatureScale.For(safe, AffinityKind.Rbf), Is.EqualTo(safe));
        Assert.That(FeatureScale.For(safe, AffinityKind.Cosine).Exponent, Is.EqualTo(5));
    }

    [Test]
    public void Apply_IsExact_IntoAndOutOfTheSubnormals()
    {
        var rng = new Random(3);
        var x = Enumerable.Range(0, 1000).Select(_ => (float)((rng.NextDouble() - 0.5) * 1e-40)).ToArray(); // subnormal floats
        var up = FeatureScale.Of(x.Max(Math.Abs));
        Assert.That(up.Exponent, Is.LessThan(-126), "premise: a subnormal maximum");
        var scaled = up.Apply<float>(x);
        for (int i = 0; i < x.Length; i++)
            Assert.That((double)scaled[i], Is.EqualTo(Math.ScaleB(x[i], -up.Exponent)), $"x[{i}]·2^{-up.Exponent} exact");
        // and back: scaling down into the subnormals rounds nothing these values carried
        var back = new FeatureScale(-up.Exponent, 1).Apply<float>(scaled);
        Assert.That(back, Is.EqualTo(x).AsCollection);
    }

    [Test]
    public void Apply_MatchesScaleB_WhereTheResultIsSubnormal()
    {
        var rng = new Random(4);
        var x = Enumerable.Range(0, 4099).Select(_ => rng.NextDouble() * Math.Pow(10, -rng.Next(0, 30))).ToArray();
        var scale = new FeatureScale(1000, 1); // 2^-1000: a normal factor, results down into the subnormals
        var scaled = scale.Apply<double>(x);
        for (int i = 0; i < x.Length; i++)
            Assert.That(scaled[i], Is.EqualTo(double.ScaleB(x[i], -1000)), $"x[{i}]");
    }

    [Test]
    public void Sigma_ConvertsForRbf_AndNotForCosine()
    {
        var scale = new FeatureScale(-100, 1e-30);
        Assert.That(scale.ToScaled(3.0, AffinityKind.Rbf), Is.EqualTo(Math.ScaleB(3.0, 100)));
        Assert.That(scale.ToUser(scale.ToScaled(3.0, AffinityKind.Rbf), AffinityKind.Rbf), Is.EqualTo(3.0));
        Assert.That(scale.ToScaled(0.5, AffinityKind.Cosine), Is.EqualTo(0.5));
        Assert.That(scale.ToUser(0.5, AffinityKind.Cosine), Is.EqualTo(0.5));
    }

    [TestCase(AffinityKind.Rbf, "2^-60 × 2^-100")]
    [TestCase(AffinityKind.Cosine, "the cosine σ has no unit")]
    public void SigmaBelowTheLimit_NamesSigmaTheValueAndTheLimit(AffinityKind kind, string says)
    {
        var scale = new FeatureScale(-100, 1e-30);
        double limitScaled = FeatureScale.MinScaledSigma<float>();
        Assert.That(() => scale.ThrowIfSigmaTooSmall<float>(limitScaled, kind), Throws.Nothing);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => scale.ThrowIfSigmaTooSmall<float>(limitScaled / 2, kind))!;
        Assert.That(e.ParamName, Is.EqualTo("Sigma"));
        Assert.That(e.ActualValue, Is.EqualTo(scale.ToUser(limitScaled / 2, kind)));
        Assert.That(e.Message, Does.Contain(says).And.Contain("float32"));
    }

    [Test]
    public void Scan_FindsTheFirstNonFinite_AndTheLargestMagnitude_AcrossBlocks()
    {
        int length = (1 << 21) + 37; // three parallel blocks
        var x = new float[length];
        for (int i = 0; i < length; i++)
            x[i] = (i % 7 - 3) * 0.5f;
        x[1_500_000] = -9.5f;
        Assert.That(FiniteScan.Scan<float>(x), Is.EqualTo((-1L, 9.5f)));
        x[2_000_001] = float.NaN;
        x[2_000_003] = float.PositiveInfinity;
        Assert.That(FiniteScan.Scan<float>(x).FirstNonFinite, Is.EqualTo(2_000_001L));
        Assert.That(FiniteScan.FirstNonFinite<float>(x), Is.EqualTo(2_000_001L));
        var e = Assert.Throws<ArgumentException>(() => FeatureScale.Of<float>(x, 1000, "x"))!;
        Assert.That(e.Message, Does.Contain("NaN").And.Contain("row 2000, column 1"));
    }
}
