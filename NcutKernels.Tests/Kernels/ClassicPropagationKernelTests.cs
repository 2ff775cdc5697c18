// ClassicPropagationKernelTests: the classic extension's own kernels — the fused RBF-weighted skinny product and the anchors' column means — on ILGPU's CPU accelerator at tiny sizes against float64 host loops, and the product's row independence.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NcutKernels.Kernels;
using NUnit.Framework;

namespace NcutKernels.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class ClassicPropagationKernelTests
{
    private Context _context = null!;
    private Accelerator _acc = null!;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float> _product = null!;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int> _means = null!;

    [OneTimeSetUp]
    public void Setup()
    {
        // As ComputeDevice's IlgpuCpu: 32-wide warps, 8 warps per group.
        _context = Context.Create(b => b.CPU(new CPUDevice(32, 8, 1)).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        _acc = _context.GetCPUDevice(0).CreateCPUAccelerator(_context, CPUAcceleratorMode.Parallel);
        _product = _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>(SkinnyProduct.RbfWeightedSums);
        _means = _acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(AffinityKernels.ColumnMeans);
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _acc.Dispose();
        _context.Dispose();
    }

    /// <summary>The kernel on rows (rows×a distances, a×cols values); returns rows×cols.</summary>
    private float[] Product(float[] dist, int rows, int a, float[] values, int cols, float scale, float inv)
    {
        using var db = _acc.Allocate1D(dist);
        using var vb = _acc.Allocate1D(values);
        using var ob = _acc.Allocate1D<float>((long)rows * cols);
        _product(new KernelConfig(SkinnyProduct.Groups(rows, cols), SkinnyProduct.Threads), db.View, vb.View, ob.View, rows, a, cols, scale, inv);
        _acc.Synchronize();
        return ob.GetAsArray1D();
    }

    // Block 128 rows × 32 columns, anchors in steps of 32. (5, 5, 1): one partial everything; (40, 64, 32): whole steps and
    // one whole column tile; (130, 70, 21): a ragged second row block, a ragged third step, a ragged column tile (the
    // classic extension's k + 1 = 21); (150, 33, 45): a step of one anchor, two column tiles; (129, 100, 101): k + 1 = 101
    // (NcutOptions' largest eigenvector counts) in four column tiles.
    [TestCase(5, 5, 1)]
    [TestCase(40, 64, 32)]
    [TestCase(130, 70, 21)]
    [TestCase(150, 33, 45)]
    [TestCase(129, 100, 101)]
    public void RbfWeightedSums_MatchesHostFloat64(int rows, int a, int cols)
    {
        var dist = TestData.UniformFloats(rows * a, rows + a, 0, 4);
        var values = TestData.UniformFloats(a * cols, cols, -1, 1);
        const float scale = 0.7f;
        float inv = 1f / a;
        var output = Product(dist, rows, a, values, cols, scale, inv);
        // Error of each float32 weight exp(−d·scale) (the product's rounding moved through exp, ≲ 3 ulps) plus the two-level
        // float32 sum (≲ (32 + a/32) ulps of inv·Σ|w·v|, which is ≤ 1 here since w ≤ 1, |v| ≤ 1, inv = 1/a): at most about
        // 2.4e-6 absolute for a ≤ 100, so |Δ| ≤ 3e-6 + 1e-6·|ref|; a misplaced weight or value moves outputs by ~1e-2.
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                double s = 0;
                for (int j = 0; j < a; j++)
                    s += Math.Exp(-(double)dist[r * a + j] * scale) * values[j * cols + c];
                double expected = s * inv;
                Assert.That(output[r * cols + c], Is.EqualTo(expected).Within(3e-6 + 1e-6 * Math.Abs(expected)), $"output[{r},{c}]");
            }
    }

    [Test]
    public void RbfWeightedSums_RowsDoNotDependOnTheirPlaceOrNeighbours()
    {
        // Rows 37..136 of 200 launched alone sit at other places in their row blocks and beside other rows (and the last
        // block of the full launch is ragged): the summation order depends on a alone, so the bits must be the same.
        const int rows = 200, a = 75, cols = 40, first = 37, count = 100;
        var dist = TestData.UniformFloats(rows * a, 5, 0, 4);
        var values = TestData.UniformFloats(a * cols, 6, -1, 1);
        var full = Product(dist, rows, a, values, cols, 0.7f, 1f / a);
        var part = Product(dist[(first * a)..((first + count) * a)], count, a, values, cols, 0.7f, 1f / a);
        Assert.That(part, Is.EqualTo(full[(first * cols)..((first + count) * cols)]).AsCollection);
    }

    // 8 columns × 32 row lanes per group, lane l taking rows l + 32m four at a time. (1, 3): one row, five idle columns;
    // (300, 13): two rounds of four, then two-row tails (lanes 0..11) or one-row tails, and a ragged second column group;
    // (1000, 8): lanes 0..7 end on a full round, the others with three-row tails.
    [TestCase(1, 3)]
    [TestCase(300, 13)]
    [TestCase(1000, 8)]
    public void ColumnMeans_MatchesHostFloat64(int n, int d)
    {
        var x = TestData.UniformFloats(n * d, n + d, 5, 7); // off the origin: the means the propagation centres by
        using var xb = _acc.Allocate1D(x);
        using var mb = _acc.Allocate1D<float>(d);
        _means(new KernelConfig((d + AffinityKernels.MeanColumns - 1) / AffinityKernels.MeanColumns, AffinityKernels.MeanGroup), xb.View, mb.View, n, d);
        _acc.Synchronize();
        var means = mb.GetAsArray1D();
        for (int k = 0; k < d; k++)
        {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += x[i * d + k];
            // float64 sums in two orders differ by ~n·1e-16 relative; rounding to float32 adds ≤ half an ulp (3e-8 relative).
            Assert.That(means[k], Is.EqualTo(s / n).Within(6e-8 * Math.Abs(s / n)), $"mean[{k}]");
        }
    }
}
