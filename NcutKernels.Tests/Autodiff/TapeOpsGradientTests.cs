// TapeOpsGradientTests: every small tape operation alone against float64 finite differences, and the engine's rules (no-grad, missing rule, disposal).
using NcutKernels.Autodiff;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NUnit.Framework;

namespace NcutKernels.Tests.Autodiff;

[TestFixture]
public class TapeOpsGradientTests
{
    private static readonly double[,] B = TestData.GaussianGrid(4, 3, 7);
    private static readonly double[,] C = TestData.GaussianGrid(5, 4, 8);

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("matmul x·B", (Func<Tape<double>, Variable<double>, Variable<double>>)((t, x) => t.Sum(t.Square(t.MatMul(x, t.Constant(B))))));
        yield return new TestCaseData("matmul A·A (both operands variables)", (Func<Tape<double>, Variable<double>, Variable<double>>)((t, x) =>
        {
            var a = t.GatherRows(x, [0, 1, 2, 3]);
            return t.Sum(t.Square(t.MatMul(a, t.Scale(a, 0.5))));
        }));
        yield return new TestCaseData("gather", (Func<Tape<double>, Variable<double>, Variable<double>>)((t, x) => t.Sum(t.Square(t.GatherRows(x, [4, 0, 4, 2])))));
        yield return new TestCaseData("abs", (Func<Tape<double>, Variable<double>, Variable<double>>)((t, x) => t.Mean(t.Multiply(t.Abs(x), t.Constant(C)))));
        yield return new TestCaseData("multiply + add", (Func<Tape<double>, Variable<double>, Variable<double>>)((t, x) => t.Sum(t.Add(t.Multiply(x, x), t.Scale(x, -3)))));
        yield return new TestCaseData("column sums and means", (Func<Tape<double>, Variable<double>, Variable<double>>)((t, x) =>
            t.Sum(t.Add(t.Square(t.SumColumns(x)), t.Scale(t.Square(t.MeanColumns(x)), 2)))));
    }

    [TestCaseSource(nameof(Cases))]
    public void Op_MatchesFiniteDifferences(string name, Func<Tape<double>, Variable<double>, Variable<double>> f) =>
        GradientCheck.Assert(TestData.Grid(5, 4, 3, rng => 0.3 + TestData.Gaussian(rng)), f);

    [Test]
    public void NoGradScope_RecordsNothing()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var x = tape.Input(TestData.GaussianGrid(3, 3, 1));
        Variable<double> y;
        using (tape.NoGrad())
            y = tape.Square(x);
        Assert.That(tape.Count, Is.Zero);
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(() => tape.Backward(tape.Sum(y)), Throws.ArgumentException.With.Message.Contains("does not depend"));
    }

    [Test]
    public void InputGradients_AccumulateOverBackwardCalls_AndUnusedInputsGetZeros()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var x = tape.Input(new double[,] { { 1, 2 } });
        var unused = tape.Input(new double[,] { { 5 } });
        var loss = tape.Sum(tape.Square(x));
        tape.Backward(loss);
        tape.Backward(loss);
        Assert.That(x.Gradient, Is.EqualTo(new double[,] { { 4, 8 } }));
        Assert.That(unused.Gradient, Is.EqualTo(new double[,] { { 0 } }));
    }

    [Test]
    public void BadUse_ThrowsClearly()
    {
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        var tape = new Tape<double>(device);
        var x = tape.Input(TestData.GaussianGrid(2, 3, 1));
        using var other = new Tape<double>(device);
        Assert.That(() => tape.Backward(x), Throws.ArgumentException.With.Message.Contains("1×1"));
        Assert.That(() => tape.MatMul(x, x), Throws.ArgumentException.With.Message.Contains("2×3"));
        Assert.That(() => tape.Square(other.Input(TestData.GaussianGrid(1, 1, 2))), Throws.ArgumentException.With.Message.Contains("another tape"));
        Assert.That(() => tape.GatherRows(x, [2]), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => tape.Constant(TestData.GaussianGrid(1, 1, 3)).Gradient, Throws.InvalidOperationException);
        tape.Dispose();
        Assert.That(() => tape.Square(x), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => x.Gradient, Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public void OperationWithoutRule_CannotBeRecorded()
    {
        // Every operation carries its backward rule as it is recorded: one without a rule is refused then, never run as zeros.
        using var device = ComputeDevice.Create(DeviceKind.Cpu);
        using var tape = new Tape<double>(device);
        var x = tape.Input(new double[,] { { 2 } });
        using var value = DeviceMatrix<double>.Upload(device, new double[,] { { 4 } });
        Assert.That(() => tape.Record("not-a-real-op", [x], [value], null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("backward"));
        Assert.That(tape.Count, Is.Zero);
    }
}
