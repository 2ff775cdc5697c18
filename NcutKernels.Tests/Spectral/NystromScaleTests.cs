// NystromScaleTests: a Nyström fit of c·X equals the fit of X (c a power of two outside the safe range, host and device-resident input, fit and later transforms), σ in the features' units, and transforms beyond the fit's scale refused.
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

public class NystromScaleTests : CpuFixture
{
    private static float[,] Scaled(float[,] x, double c)
    {
        var r = new float[x.GetLength(0), x.GetLength(1)];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < x.GetLength(1); j++)
                r[i, j] = (float)(x[i, j] * c);
        return r;
    }

    // 2^±70: float32 features far outside the safe range [2^-32, 2^32) of max|x| (squared distances would overflow or underflow).
    [TestCase(70, NystromPropagation.Classic)]
    [TestCase(-70, NystromPropagation.Classic)]
    [TestCase(70, NystromPropagation.Renormalized)]
    [TestCase(-90, NystromPropagation.NcutPytorch)]
    public void PowerOfTwoScale_GivesTheSameEmbedding_HostAndDevice(int exponent, NystromPropagation propagation)
    {
        var x = TestData.ToFloat(TestData.Blobs(2000, 6, 4, separation: 4, seed: 31));
        double c = Math.ScaleB(1.0, exponent);
        var options = new NcutOptions { EigenvectorCount = 4 };
        using var plain = new NystromNcut(Cpu, options, EmbeddingChecks.ForcedNystrom(propagation));
        var expected = plain.FitTransform(x);
        var cx = Scaled(x, c);
        using var scaled = new NystromNcut(Cpu, options, EmbeddingChecks.ForcedNystrom(propagation));
        var got = scaled.FitTransform(cx);
        // x·2^e is exact and the fit uses (c·x)·2^−e = x: the same bits.
        Assert.That(got, Is.EqualTo(expected));
        Assert.That(scaled.Sigma, Is.EqualTo(plain.Sigma * c), "σ in the features' units");
        Assert.That(scaled.PropagationSigma, Is.EqualTo(plain.PropagationSigma * c));
        Assert.That(scaled.Transform(cx), Is.EqualTo(expected), "transforms apply the fitted scale");

        using var resident = DeviceMatrix<float>.Upload(Cpu, cx);
        using var onDevice = new NystromNcut(Cpu, options, EmbeddingChecks.ForcedNystrom(propagation));
        using var ud = onDevice.FitTransform(resident);
        Assert.That(ud.Download(), Is.EqualTo(expected), "device-resident input: a scaled copy on the device");
        using var again = onDevice.Transform(resident);
        Assert.That(again.Download(), Is.EqualTo(expected));
    }

    [Test]
    public void AnyScaleWithItsSigma_GivesTheSameSubspace()
    {
        // Not a power of two: c·x rounds once in float32, so the embeddings agree to float32 rounding, not bit for bit.
        var x = TestData.ToFloat(TestData.Blobs(2000, 6, 4, separation: 4, seed: 32));
        using var plain = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4, Sigma = 3 }, EmbeddingChecks.ForcedNystrom(NystromPropagation.Classic));
        var expected = plain.FitTransform(x);
        foreach (double c in new[] { 3.7e25, 1.3e-25 })
        {
            using var scaled = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 4, Sigma = 3 * c }, EmbeddingChecks.ForcedNystrom(NystromPropagation.Classic));
            var got = scaled.FitTransform(Scaled(x, c));
            double sin = TestData.SubspaceSin(TestData.Orthonormal(TestData.Matrix(expected)), TestData.Orthonormal(TestData.Matrix(got)));
            Assert.That(sin, Is.LessThan(1e-3), $"c = {c}");
        }
    }

    [Test]
    public void TransformBeyondTheFitsScale_IsRefused()
    {
        var x = TestData.ToFloat(TestData.Blobs(1000, 3, 2, separation: 4, seed: 33));
        using var fit = new NystromNcut(Cpu, new NcutOptions { EigenvectorCount = 2 }, EmbeddingChecks.ForcedNystrom(NystromPropagation.Classic));
        fit.Fit(x);
        var far = new float[,] { { 1e30f, 0, 0 } };
        Assert.That(() => fit.Transform(far), Throws.InstanceOf<ArgumentOutOfRangeException>()
            .With.Property("ParamName").EqualTo("x").And.Message.Contains("refit on data that include these rows"));
        using var resident = DeviceMatrix<float>.Upload(Cpu, far);
        Assert.That(() => fit.Transform(resident), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("x"));
        Assert.That(fit.Transform(new float[,] { { 1e6f, 0, 0 } }).Cast<float>(), Is.All.Matches<float>(float.IsFinite), "far but within the scale: finite");
    }
}
