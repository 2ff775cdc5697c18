// NcutKwayTests: Ncut's fit-once/apply-many k-way (KwayFit on the last fit, KwayTransform on host arrays and on the tape).
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Spectral;

[TestFixture]
public class NcutKwayTests
{
    [TestCase(KwayMethod.SphericalKMeans)]
    [TestCase(KwayMethod.AxisAlign)]
    public void KwayFit_ThenTransform_RecoversTheBlobs(KwayMethod method)
    {
        const int n = 120, blobs = 4;
        var x = TestData.Blobs(n, 6, blobs, separation: 8, seed: 9);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = blobs });
        var u = ncut.FitTransform(x);
        var kway = ncut.KwayFit(blobs, method);

        var scores = ncut.KwayTransform(u, blobs);
        Assert.That(scores, Is.EqualTo(kway.Transform(u)));
        var labels = KwayNcut.Labels(scores);
        // TestData.Blobs puts point i in blob i mod c: each blob one label, all labels distinct.
        var perBlob = Enumerable.Range(0, blobs).Select(b => Enumerable.Range(0, n).Where(i => i % blobs == b).Select(i => labels[i]).Distinct().ToArray()).ToArray();
        Assert.That(perBlob.All(l => l.Length == 1), Is.True);
        Assert.That(perBlob.Select(l => l[0]).Distinct().Count(), Is.EqualTo(blobs));
    }

    [Test]
    public void KwayTransform_OnTheTape_IsDifferentiable()
    {
        var x = TestData.Blobs(40, 3, 2, separation: 6, seed: 2);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 3, Sigma = 2 });
        using var tape = new NcutKernels.Autodiff.Tape<double>(device);
        var v = tape.Input(x);
        var (u, _) = ncut.FitTransform(v);
        ncut.KwayFit(2);
        var scores = ncut.KwayTransform(u, 2);
        Assert.That(scores.ToArray(), Is.EqualTo(ncut.KwayTransform(u.ToArray(), 2)));
        tape.Backward(Ops.TapeOps.Sum(tape, Ops.TapeOps.Square(tape, scores)));
        var g = v.Gradient;
        Assert.That(g.Cast<double>().All(double.IsFinite), Is.True);
        Assert.That(g.Cast<double>().Max(Math.Abs), Is.GreaterThan(0));
    }

    [Test]
    public void BeforeFits_ThrowInvalidOperation()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var ncut = new Ncut(device, new NcutOptions { EigenvectorCount = 3 });
        Assert.That(Assert.Throws<InvalidOperationException>(() => ncut.KwayFit(2))!.Message, Does.Contain("FitTransform"));
        var u = ncut.FitTransform(TestData.Blobs(30, 2, 3, separation: 5, seed: 1));
        ncut.KwayFit(3);
        Assert.That(Assert.Throws<InvalidOperationException>(() => ncut.KwayTransform(u, 2))!.Message, Does.Contain("KwayFit(2)"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ncut.KwayFit(1));
        // A new fit discards the rotations of the old embedding's basis.
        ncut.FitTransform(TestData.Blobs(30, 2, 3, separation: 5, seed: 2));
        Assert.That(() => ncut.KwayTransform(u, 3), Throws.InvalidOperationException.With.Message.Contain("KwayFit(3)"));
    }
}
