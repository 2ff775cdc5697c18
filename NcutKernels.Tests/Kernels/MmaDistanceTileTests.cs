// MmaDistanceTileTests: the TF32 distance tile's plain-float path (ILGPU's CPU accelerator, no inline PTX) equals the float32 tile on ragged sizes.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NcutKernels.Kernels;
using NUnit.Framework;

namespace NcutKernels.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class MmaDistanceTileTests
{
    [TestCase(0)]
    [TestCase(1)]
    public void CpuFallback_MatchesFloat32Tile_OnRaggedSizes(int split)
    {
        // rows, a and d are not multiples of the 128-edge tile or the 8-deep stripe: two row tiles, one ragged anchor tile.
        const int rows = 130, a = 70, d = 19;
        using var context = Context.Create(b => b.CPU(new CPUDevice(32, 8, 1)).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        using var acc = context.GetCPUDevice(0).CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel);
        var rng = new Random(11);
        float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var (x, centre, ac) = (Random(rows * d), Random(d), Random(a * d));
        var xsq = Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, d).Sum(k => (x[r * d + k] - centre[k]) * (x[r * d + k] - centre[k]))).ToArray();
        var asq = Enumerable.Range(0, a).Select(j => Enumerable.Range(0, d).Sum(k => ac[j * d + k] * ac[j * d + k])).ToArray();
        using var bx = acc.Allocate1D(x);
        using var bc = acc.Allocate1D(centre);
        using var bxs = acc.Allocate1D(xsq);
        using var ba = acc.Allocate1D(ac);
        using var bas = acc.Allocate1D(asq);
        using var reference = acc.Allocate1D<float>(rows * a);
        using var tf32 = acc.Allocate1D<float>(rows * a);
        var config = new KernelConfig(new Index2D((a + 127) / 128, (rows + 127) / 128), new Index2D(QuadTile.Threads, QuadTile.Threads));
        acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(
            PropagationKernels.AnchorDistanceTile)(config, bx.View, bc.View, bxs.View, ba.View, bas.View, reference.View, rows, a, d);
        tf32.MemSetToZero();
        acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(
            MmaDistanceTile.AnchorDistanceTileTf32)(config, bx.View, bc.View, bxs.View, ba.View, bas.View, tf32.View, rows, a, d, split);
        acc.Synchronize();
        var (want, got) = (reference.GetAsArray1D(), tf32.GetAsArray1D());
        Assert.That(want.Max(), Is.GreaterThan(1f), "distances of order d/3");
        for (int e = 0; e < want.Length; e++)
            Assert.That(got[e], Is.EqualTo(want[e]).Within(1e-5 * Math.Max(Math.Abs(want[e]), 1e-3)), $"row {e / a}, anchor {e % a}");
    }
}
