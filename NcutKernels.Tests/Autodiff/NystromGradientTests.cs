// NystromGradientTests: gradients through NystromNcut.FitTransform(Variable) and the "nystrom-classic" and "nystrom-nearest" ops against float64 finite differences, the recorded forward against the untaped one, exact-path delegation, the ILGPU device, a 20000-point smoke run and bad input.
using System.Diagnostics;
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Autodiff;

[TestFixture]
public class NystromGradientTests
{
    private const double Sigma = 1.5;

    /// <summary>n = 96 > ExactThreshold 50: the Nyström path with m = ⌊96/4⌋ = 24 uniform landmarks; σ fixed (the degree rule has no gradient).</summary>
    private static NystromNcut Nystrom(ComputeDevice device, int k = 3, NystromPropagation propagation = NystromPropagation.Classic, double neighboursRatio = 1.0 / 32,
        int? classicLandmarks = null) =>
        new(device, new NcutOptions { EigenvectorCount = k, Sigma = Sigma, Tolerance = 1e-13 },
            new NystromOptions { ExactThreshold = 50, Propagation = propagation, ChunkRows = 40, NeighboursMaxRatio = neighboursRatio, ClassicLandmarks = classicLandmarks });

    [Test]
    public void SignInvariantLoss_MatchesFiniteDifferences()
    {
        var x = GradientCheck.Points(96);
        var c = TestData.Weights(96, 3, 6);
        GradientCheck.Assert(x, (t, v) =>
        {
            var nystrom = Nystrom(t.Device);
            var (u, lambda) = nystrom.FitTransform(v);
            Assert.That(nystrom.Path, Is.EqualTo(EmbeddingPath.Nystrom));
            return t.Add(t.Sum(t.Multiply(t.Square(u), t.Constant(c))), t.Sum(t.Square(lambda)));
        });
    }

    [Test]
    public void SpanOnlyLoss_MatchesFiniteDifferences()
    {
        // ⟨T, V·Vᵀ⟩ = Σ (T·V)∘V: invariant under any rotation of the landmark eigenvectors, so of V.
        var x = GradientCheck.Points(80, seed: 3);
        var tm = TestData.Affinity(GradientCheck.Points(80, seed: 9), false, 1).ToArray();
        GradientCheck.Assert(x, (t, v) =>
        {
            var (u, _) = Nystrom(t.Device, k: 4).FitTransform(v);
            return t.Sum(t.Multiply(t.MatMul(t.Constant(tm), u), u));
        });
    }

    /// <summary>Inputs of the op alone: 30 points, 9 landmarks (other points of the same blobs), random eigenvectors, λ = (0.9, 0.6, 0.35).</summary>
    private static (double[,] x, double[,] xl, double[,] ul, double[,] lambda) OpInputs()
    {
        var ul = TestData.Weights(9, 3, 8);
        for (int j = 0; j < 9; j++)
            ul[j, 1] -= 1;
        return (GradientCheck.Points(30, seed: 1), GradientCheck.Points(9, seed: 2), ul, new[,] { { 0.9, 0.6, 0.35 } });
    }

    /// <summary>Σ c∘V + Σ V² of the op with input <paramref name="which"/> the variable and the others constants.</summary>
    private static Variable<double> OpLoss(Tape<double> t, Variable<double> v, int which)
    {
        var (x, xl, ul, lambda) = OpInputs();
        Variable<double> In(int i, double[,] value) => i == which ? v : t.Constant(value);
        var out_ = NystromOps.Classic(t, In(0, x), In(1, xl), In(2, ul), In(3, lambda), Sigma, chunkRows: 7);
        return t.Add(t.Sum(t.Multiply(out_, t.Constant(TestData.Weights(30, 3, 4)))), t.Sum(t.Square(out_)));
    }

    [TestCase(0)] // x: the points, through w_ij and D_i
    [TestCase(1)] // X_L: the landmarks, through w_ij and the landmark degrees d_j
    [TestCase(2)] // U_L
    [TestCase(3)] // λ
    public void ClassicOp_MatchesFiniteDifferences_InEachInput(int which)
    {
        var inputs = OpInputs();
        var start = new[] { inputs.x, inputs.xl, inputs.ul, inputs.lambda }[which];
        GradientCheck.Assert(start, (t, v) => OpLoss(t, v, which), h: 1e-6);
    }

    [Test]
    public void ClassicOp_EqualsTheFormula()
    {
        var (x, xl, ul, lambda) = OpInputs();
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var v = NystromOps.Classic(tape, tape.Input(x), tape.Input(xl), tape.Input(ul), tape.Input(lambda), Sigma, 4).ToArray();
        var wl = TestData.Affinity(xl, false, Sigma);
        var dl = wl.RowSums();
        double maxErr = 0;
        for (int i = 0; i < 30; i++)
        {
            var w = Enumerable.Range(0, 9).Select(j => Math.Exp(-Enumerable.Range(0, 3).Sum(c => Math.Pow(x[i, c] - xl[j, c], 2)) / (2 * Sigma * Sigma))).ToArray();
            double di = w.Sum();
            for (int c = 0; c < 3; c++)
            {
                double expected = Enumerable.Range(0, 9).Sum(j => w[j] * ul[j, c] / Math.Sqrt(di * dl[j])) / lambda[0, c];
                maxErr = Math.Max(maxErr, Math.Abs(v[i, c] - expected));
            }
        }
        Assert.That(maxErr, Is.LessThan(1e-12));
    }

    [TestCase(NystromPropagation.Classic, null)]
    [TestCase(NystromPropagation.Classic, 12)]
    [TestCase(NystromPropagation.NcutPytorch, null)]
    [TestCase(NystromPropagation.Renormalized, null)]
    public void RecordedForward_EqualsUntapedFitTransform(NystromPropagation mode, int? classicLandmarks)
    {
        var x = GradientCheck.Points(120, seed: 7);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        // A recorded classic extension sums over every landmark whatever ClassicLandmarks says: it equals the untaped all-landmark fit.
        var plain = Nystrom(device, propagation: mode);
        var expected = plain.FitTransform(x);
        using var tape = new Tape<double>(device);
        var taped = Nystrom(device, propagation: mode, classicLandmarks: classicLandmarks);
        var (u, lambda) = taped.FitTransform(tape.Input(x));
        var got = u.ToArray();
        double maxErr = 0;
        for (int i = 0; i < 120; i++)
            for (int c = 0; c < 3; c++)
                maxErr = Math.Max(maxErr, Math.Abs(got[i, c] - expected[i, c]));
        Assert.That(maxErr, Is.LessThan(1e-12));
        Assert.That(taped.LandmarkIndices, Is.EqualTo(plain.LandmarkIndices));
        Assert.That(lambda.ToArray().Cast<double>().ToArray(), Is.EqualTo(plain.Eigenvalues).Within(1e-12));
        Assert.That(taped.Sigma, Is.EqualTo(plain.Sigma));
        if (classicLandmarks is { } s)
        {
            Assert.That(taped.Transform(x).Cast<double>(), Is.All.Matches<double>(double.IsFinite), "transforms use the subset: finite rows");
            Assert.That(taped.AnchorIndices, Has.Length.EqualTo(s));
            return;
        }
        Assert.That(taped.Transform(x), Is.EqualTo(expected).Within(1e-12), "the kept fit serves Transform");
        Assert.That(taped.AnchorIndices, Is.EqualTo(plain.AnchorIndices));
    }

    [Test]
    public void BelowThreshold_DelegatesToTheExactDifferentiableNcut()
    {
        var x = GradientCheck.Points(60);
        var options = new NcutOptions { EigenvectorCount = 3, Sigma = Sigma, Tolerance = 1e-13 };
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var v = tape.Input(x);
        using var nystrom = new NystromNcut(device, options);
        var (u, _) = nystrom.FitTransform(v);
        tape.Backward(tape.Sum(tape.Square(tape.Abs(u))));
        using var refTape = new Tape<double>(device);
        var rv = refTape.Input(x);
        var (ru, _) = new Ncut(device, options).FitTransform(rv);
        refTape.Backward(refTape.Sum(refTape.Square(refTape.Abs(ru))));
        Assert.That(nystrom.Path, Is.EqualTo(EmbeddingPath.Exact));
        Assert.That(u.ToArray(), Is.EqualTo(ru.ToArray()));
        Assert.That(v.Gradient, Is.EqualTo(rv.Gradient));
        Assert.That(nystrom.GradientReport, Is.Not.Null);
    }

    [Test]
    public void IlgpuFloat32_MatchesCpuFloat64Gradient()
    {
        var x = GradientCheck.Points(96);
        var c = TestData.Weights(96, 3, 6);
        var (_, expected) = GradientCheck.Evaluate(x, (t, v) => t.Sum(t.Multiply(t.Square(Nystrom(t.Device).FitTransform(v).eigenvectors), t.Constant(c))), true);
        using var device = ComputeDevice.Create(DeviceKind.IlgpuCpu);
        using var tape = new Tape<float>(device);
        var xv = tape.Input(TestData.ToFloat(x));
        using var nystrom = new NystromNcut(device, new NcutOptions { EigenvectorCount = 3, Sigma = Sigma }, new NystromOptions { ExactThreshold = 50 });
        var (u, _) = nystrom.FitTransform(xv);
        tape.Backward(tape.Sum(tape.Multiply(tape.Square(u), tape.Constant(TestData.ToFloat(c)))));
        var g = TestData.Matrix(xv.Gradient);
        var gRef = TestData.Matrix(expected);
        double rel = (g - gRef).FrobeniusNorm() / gRef.FrobeniusNorm();
        TestContext.Out.WriteLine($"ILGPU float32 vs CPU float64 gradient: relative error {rel:E2}");
        Assert.That(rel, Is.LessThan(1e-3));
    }

    [Test]
    public void TwentyThousandPoints_Float32_GivesAFiniteGradientForEveryRow()
    {
        const int n = 20000, d = 16, k = 5;
        var x = TestData.ToFloat(TestData.Blobs(n, d, 6, separation: 4, seed: 12));
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        long before = GC.GetTotalMemory(true);
        var sw = Stopwatch.StartNew();
        using var tape = new Tape<float>(device);
        var xv = tape.Input(x);
        using var nystrom = new NystromNcut(device, new NcutOptions { EigenvectorCount = k });
        var (u, _) = nystrom.FitTransform(xv);
        double forwardMs = sw.Elapsed.TotalMilliseconds;
        tape.Backward(tape.Sum(tape.Square(u)));
        var g = xv.Gradient;
        double totalMs = sw.Elapsed.TotalMilliseconds;
        long after = GC.GetTotalMemory(false);
        TestContext.Out.WriteLine($"n={n} m={nystrom.LandmarkIndices.Length} d={d} k={k}: forward {forwardMs:F0} ms, forward+backward {totalMs:F0} ms, " +
                                  $"managed heap growth {(after - before) / 1e6:F1} MB, {nystrom.Timings}, {nystrom.GradientReport}");
        Assert.That(nystrom.Path, Is.EqualTo(EmbeddingPath.Nystrom));
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int c = 0; c < d; c++)
            {
                Assert.That(float.IsFinite(g[i, c]), $"row {i}, column {c}");
                norm += g[i, c] * (double)g[i, c];
            }
        }
    }

    /// <summary>Σ c∘V + Σ V² of the nearest-anchor op (4 of 9 anchors per point) with input <paramref name="which"/> the variable.</summary>
    private static Variable<double> NearestLoss(Tape<double> t, Variable<double> v, int which, bool ncutPytorch)
    {
        var (x, xl, ul, _) = OpInputs();
        Variable<double> In(int i, double[,] value) => i == which ? v : t.Constant(value);
        var out_ = NystromNearestOps.Nearest(t, In(0, x), In(1, xl), In(2, ul), Sigma, 4, ncutPytorch, chunkRows: 7);
        return t.Add(t.Sum(t.Multiply(out_, t.Constant(TestData.Weights(30, 3, 4)))), t.Sum(t.Square(out_)));
    }

    [TestCase(true, 0)] // ncut_pytorch's rule: x, through w_ij
    [TestCase(true, 1)] // anchors, through w_ij and the anchors' degrees
    [TestCase(true, 2)] // anchors' eigenvector rows
    [TestCase(false, 0)] // renormalized: x, through w_ij and Σ w_ij
    [TestCase(false, 1)]
    [TestCase(false, 2)]
    public void NearestOp_MatchesFiniteDifferences_InEachInput(bool ncutPytorch, int which)
    {
        var inputs = OpInputs();
        var start = new[] { inputs.x, inputs.xl, inputs.ul }[which];
        GradientCheck.Assert(start, (t, v) => NearestLoss(t, v, which, ncutPytorch), h: 1e-6);
    }

    /// <summary>
    /// σp is chosen by the degree rule on the anchors' features, so it moves with x and a finite difference of FitTransform would
    /// see it; the check runs the same chain with the fit's landmarks, anchors and σp pinned, and FitTransform's gradient must equal it.
    /// The neighbour sets are constant by definition but jump under the Taylor test's larger steps when 4 of the 24 anchors are kept,
    /// so the finite-difference check keeps them all (the op's own test covers a strict subset); the equality holds for both.
    /// </summary>
    [TestCase(NystromPropagation.NcutPytorch, 1.0)]
    [TestCase(NystromPropagation.Renormalized, 1.0)]
    [TestCase(NystromPropagation.NcutPytorch, 1.0 / 32)]
    [TestCase(NystromPropagation.Renormalized, 1.0 / 32)]
    public void NearestModes_WholeChain_MatchesFiniteDifferences(NystromPropagation mode, double neighboursRatio)
    {
        var x = GradientCheck.Points(96);
        var c = TestData.Weights(96, 3, 6);
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var fitted = Nystrom(device, propagation: mode, neighboursRatio: neighboursRatio);
        fitted.Fit(x).Transform(x);
        var landmarks = fitted.LandmarkIndices;
        var anchors = fitted.AnchorIndices.Select(r => Array.IndexOf(landmarks, r)).ToArray();
        double sigmaP = fitted.PropagationSigma;
        int neighbours = fitted.PropagationNeighbours;
        Variable<double> Loss(Tape<double> t, Variable<double> u) => t.Sum(t.Multiply(t.Square(u), t.Constant(c)));
        Variable<double> Pinned(Tape<double> t, Variable<double> v)
        {
            var xl = t.GatherRows(v, landmarks);
            var (ul, _) = new Ncut(t.Device, fitted.Options).FitTransform(xl);
            return Loss(t, NystromNearestOps.Nearest(t, v, t.GatherRows(xl, anchors), t.GatherRows(ul, anchors), sigmaP, neighbours,
                mode == NystromPropagation.NcutPytorch, 40));
        }
        if (neighbours == anchors.Length)
            GradientCheck.Assert(x, Pinned);
        var (_, pinned) = GradientCheck.Evaluate(x, Pinned, true);
        var (_, viaFit) = GradientCheck.Evaluate(x, (t, v) => Loss(t, Nystrom(t.Device, propagation: mode, neighboursRatio: neighboursRatio).FitTransform(v).eigenvectors), true);
        Assert.That(viaFit, Is.EqualTo(pinned));
    }

    [Test]
    public void BadInput_Throws()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var v = tape.Input(GradientCheck.Points(96));
        using var other = ComputeDevice.Create(DeviceKind.Cpu);
        Assert.That(() => Nystrom(other).FitTransform(v), Throws.ArgumentException.With.Property("ParamName").EqualTo("x"));
        Assert.That(() => Nystrom(device).FitTransform((Variable<double>)null!), Throws.ArgumentNullException);
        using var small = new NystromNcut(device, new NcutOptions { EigenvectorCount = 30, Sigma = Sigma }, new NystromOptions { ExactThreshold = 50 });
        Assert.That(() => small.FitTransform(v), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("EigenvectorCount must be less than m"));
        var (x, xl, ul, _) = OpInputs();
        Assert.That(() => NystromOps.Classic(tape, tape.Input(x), tape.Input(xl), tape.Input(ul), tape.Constant(new double[1, 2]), Sigma, 4),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("lambda"));
        Assert.That(() => NystromNearestOps.Nearest(tape, tape.Input(x), tape.Input(xl), tape.Input(ul), Sigma, 10, true, 4),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("neighbours"));
    }
}
