// BatchedGradientTests: Tape.Gradients (several losses reversed together, one block CG for all) against one Backward per loss, with and without row restriction, on both CPU backends.
using NcutKernels.Autodiff;
using NcutKernels.Core;
using NcutKernels.Ops;
using NcutKernels.Runtime;
using NcutKernels.Spectral;
using NUnit.Framework;

namespace NcutKernels.Tests.Autodiff;

[TestFixture]
public class BatchedGradientTests : CpuAndIlgpuFixture
{
    private const int K = 3, Losses = 4;

    /// <summary>
    /// Losses like channel tracing's: for cluster c (rows with i mod 4 = c), −mean |(U·R)_ic| with a fixed rotation R — each
    /// depends on every row of X through the embedding, and its cotangent on U sits on the cluster's rows only.
    /// </summary>
    private static (Variable<T>[] losses, int[][] rows) ClusterLosses<T>(Tape<T> tape, Variable<T> u) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rotation = new T[K, Losses];
        var rng = new Random(3);
        for (int a = 0; a < K; a++)
            for (int b = 0; b < Losses; b++)
                rotation[a, b] = T.CreateChecked(rng.NextDouble() - 0.5);
        var scores = tape.MatMul(u, tape.Constant(rotation));
        var losses = new Variable<T>[Losses];
        var rows = new int[Losses][];
        for (int c = 0; c < Losses; c++)
        {
            rows[c] = Enumerable.Range(0, u.Rows).Where(i => i % Losses == c).ToArray();
            var pick = new T[Losses, 1];
            pick[c, 0] = T.One;
            losses[c] = tape.Scale(tape.Mean(tape.Abs(tape.MatMul(tape.GatherRows(scores, rows[c]), tape.Constant(pick)))), -1);
        }
        return (losses, rows);
    }

    /// <summary>dLoss_c/dX by one Backward per loss (the reference) and by one batched call, restricted to the clusters' rows or not.</summary>
    private static (double[][,] single, double[][,] batched) Run<T>(ComputeDevice device, double[,] x, AffinityKind kind, bool restrict, bool nystrom = false)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double[][,] Once(bool batch)
        {
            using var tape = new Tape<T>(device);
            var v = tape.Input(TestData.Convert<T>(x));
            using var embedding = new NystromNcut(device, new NcutOptions { EigenvectorCount = K, Sigma = kind == AffinityKind.Rbf ? 1.5 : 0.5, Affinity = kind, Tolerance = 1e-13 },
                new NystromOptions { ExactThreshold = nystrom ? 50 : 8192, ChunkRows = 40, Propagation = nystrom ? NystromPropagation.Renormalized : null });
            var (u, _) = embedding.FitTransform(v);
            Assert.That(embedding.Path, Is.EqualTo(nystrom ? EmbeddingPath.Nystrom : EmbeddingPath.Exact));
            var (losses, rows) = ClusterLosses(tape, u);
            if (batch)
                return tape.Gradients(losses, v, restrict ? rows : null).Select(TestData.ToDouble).ToArray();
            var result = new double[Losses][,];
            for (int c = 0; c < Losses; c++)
            {
                v.ZeroGrad();
                tape.Backward(losses[c]);
                result[c] = TestData.ToDouble(v.Gradient);
            }
            return result;
        }
        return (Once(false), Once(true));
    }

    private static void AssertSameRows(double[][,] single, double[][,] batched, int[][]? rows, double rtol, string what)
    {
        for (int c = 0; c < single.Length; c++)
        {
            var reference = single[c];
            double scale = reference.Cast<double>().Max(Math.Abs);
            Assert.That(scale, Is.GreaterThan(0), $"premise: loss {c} has a gradient");
            var pick = rows?[c] ?? Enumerable.Range(0, reference.GetLength(0)).ToArray();
            foreach (int i in pick)
                for (int j = 0; j < reference.GetLength(1); j++)
                    Assert.That(batched[c][i, j], Is.EqualTo(reference[i, j]).Within(rtol * scale), $"{what}: loss {c}, X̄[{i},{j}]");
        }
    }

    private static int[][] ClusterRows(int n) => Enumerable.Range(0, Losses).Select(c => Enumerable.Range(0, n).Where(i => i % Losses == c).ToArray()).ToArray();

    // Float64 on the managed backend: the same CG (systems side by side run the same iterations in lockstep, each stopping on its
    // own tolerance) and the same affinity backward, so the two agree to the CG's residual (1e-11 relative) or better.
    [TestCase(AffinityKind.Rbf, false)]
    [TestCase(AffinityKind.Rbf, true)]
    [TestCase(AffinityKind.Cosine, false)]
    [TestCase(AffinityKind.Cosine, true)]
    public void Batched_EqualsOneBackwardPerLoss_Exact(AffinityKind kind, bool restrict)
    {
        var x = GradientCheck.Points(80);
        var (single, batched) = Run<double>(Cpu, x, kind, restrict);
        AssertSameRows(single, batched, restrict ? ClusterRows(80) : null, 1e-8, $"{kind}");
    }

    [Test]
    public void Batched_EqualsOneBackwardPerLoss_Nystrom()
    {
        // The Nyström ops have no batched rule: each runs once per loss (the landmark embedding's rule is still batched).
        var x = GradientCheck.Points(96);
        var (single, batched) = Run<double>(Cpu, x, AffinityKind.Rbf, restrict: true, nystrom: true);
        AssertSameRows(single, batched, ClusterRows(96), 1e-8, "Nyström");
    }

    [Test]
    public void Batched_OnIlgpuKernels_EqualsOneBackwardPerLoss()
    {
        // Float32 tape on the ILGPU kernels (CPU accelerator, tiny n): the batched CG's products are the same kernel at a wider
        // block, so the two float32 results differ by float32 rounding of the CG, not by the method.
        var x = GradientCheck.Points(40);
        var (single, batched) = Run<float>(Ilgpu, x, AffinityKind.Cosine, restrict: true);
        AssertSameRows(single, batched, ClusterRows(40), 2e-3, "ILGPU float32");
    }

    [Test]
    public void Batched_LeavesHeldGradientsAsTheyWere()
    {
        using var tape = new Tape<double>(Cpu);
        var v = tape.Input(GradientCheck.Points(30));
        var (u, _) = new Ncut(Cpu, new NcutOptions { EigenvectorCount = K, Sigma = 1.5 }).FitTransform(v);
        var loss = tape.Sum(tape.Square(u));
        tape.Backward(tape.Sum(tape.Multiply(u, u)));
        var held = v.Gradient;
        var batched = tape.Gradients([loss], v);
        Assert.That(v.Gradient, Is.EqualTo(held), "the input's own gradient is untouched");
        Assert.That(batched[0].Cast<double>().Max(Math.Abs), Is.GreaterThan(0));
    }

    [Test]
    public void Batched_ThroughOperationsWithoutABatchedRule_EqualsBackward()
    {
        using var tape = new Tape<double>(Cpu);
        var v = tape.Input(new double[,] { { 1, 2 }, { 3, -4 } });
        var a = tape.Sum(tape.Square(v));
        var b = tape.Sum(tape.Multiply(tape.Abs(v), tape.Constant(new double[,] { { 1, 0 }, { 2, 5 } })));
        var batched = tape.Gradients([a, b], v);
        Assert.That(batched[0], Is.EqualTo(new double[,] { { 2, 4 }, { 6, -8 } }));
        Assert.That(batched[1], Is.EqualTo(new double[,] { { 1, 0 }, { 2, -5 } }));
    }

    [Test]
    public void Gradients_RejectsBadArguments_NamingTheParameter()
    {
        using var tape = new Tape<double>(Cpu);
        var v = tape.Input(new double[,] { { 1, 2 }, { 3, 4 } });
        var loss = tape.Sum(v);
        Assert.That(() => tape.Gradients([], v), Throws.ArgumentException.With.Property("ParamName").EqualTo("losses"));
        Assert.That(() => tape.Gradients([v], v), Throws.ArgumentException.With.Property("ParamName").EqualTo("losses"));
        Assert.That(() => tape.Gradients([loss], v, [[0], [1]]), Throws.ArgumentException.With.Property("ParamName").EqualTo("rows"));
        Assert.That(() => tape.Gradients([loss], v, [[2]]), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("rows"));
        Assert.That(() => tape.Gradients([loss], tape.Constant(new double[,] { { 1 } })), Throws.ArgumentException.With.Property("ParamName").EqualTo("input"));
        using var other = new Tape<double>(Cpu);
        Assert.That(() => tape.Gradients([other.Sum(other.Input(new double[,] { { 1 } }))], v), Throws.ArgumentException);
    }
}
