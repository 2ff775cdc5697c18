// GridSamplingTests: the grid farthest-point walk on ILGPU's CPU accelerator at tiny sizes — one group (the barrier passes at once) and several on a two-multiprocessor CPU device against the float32 host walk, ties, count ≥ rows, and the fallback when a barrier gives up.
using System.Diagnostics;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NUnit.Framework;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;

namespace NcutKernels.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class GridSamplingTests
{
    private Context _context = null!;
    private Accelerator _acc = null!, _dual = null!;
    private IlgpuResources _resources = null!, _dualResources = null!;
    private IlgpuNystrom _nystrom = null!, _dualNystrom = null!;

    [OneTimeSetUp]
    public void Setup()
    {
        // As ComputeDevice's IlgpuCpu (32-wide warps, 8 warps per group, one multiprocessor), and a device of two
        // multiprocessors, each running its own group at the same time.
        _context = Context.Create(b => b.CPU(new CPUDevice(32, 8, 1)).CPU(new CPUDevice(32, 2, 2)).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        _acc = _context.GetCPUDevice(0).CreateCPUAccelerator(_context, CPUAcceleratorMode.Parallel);
        _dual = _context.GetCPUDevice(1).CreateCPUAccelerator(_context, CPUAcceleratorMode.Parallel);
        _nystrom = new IlgpuNystrom(_resources = new IlgpuResources(_acc));
        _dualNystrom = new IlgpuNystrom(_dualResources = new IlgpuResources(_dual));
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _resources.Dispose();
        _dualResources.Dispose();
        _acc.Dispose();
        _dual.Dispose();
        _context.Dispose();
    }

    private static int[] Sample(Accelerator acc, IlgpuNystrom nystrom, float[] points, int rows, int p, int count, int groups, int spinLimit = IlgpuNystrom.GridSpinLimit)
    {
        using var buffer = acc.Allocate1D(points);
        return nystrom.FarthestPointSample(buffer.View, rows, p, count, (groups, 64), spinLimit);
    }

    [TestCase(300, 8, 40)]
    [TestCase(300, 20, 25)]
    [TestCase(1000, 3, 120)] // more rows than threads: strided rows per thread
    public void OneGroup_MatchesHostFloat32(int rows, int p, int count)
    {
        var points = TestData.SignedSingles(rows * p, rows + p);
        Assert.That(Sample(_acc, _nystrom, points, rows, p, count, 1), Is.EqualTo(NystromReference.FarthestPointSample(points, rows, p, count)).AsCollection);
    }

    [Test]
    public void Ties_GoToLowestUnpickedRow()
    {
        // 40 rows on 5 distinct integer points: exact ties everywhere, then every unpicked row at distance 0.
        const int rows = 40, p = 3, count = 30;
        var points = new float[rows * p];
        for (int r = 0; r < rows; r++)
            for (int e = 0; e < p; e++)
                points[r * p + e] = (r * 7 + e * (r % 3)) % 5;
        var reference = NystromReference.FarthestPointSample(points, rows, p, count);
        Assert.That(Sample(_acc, _nystrom, points, rows, p, count, 1), Is.EqualTo(reference).AsCollection, "one group");
        Assert.That(Sample(_dual, _dualNystrom, points, rows, p, count, 2), Is.EqualTo(reference).AsCollection, "two groups, 20 rows each");
    }

    [TestCase(50, 50)]
    [TestCase(50, 80)]
    [TestCase(50, 0)]
    public void CountAtLeastRows_GivesAllRows(int rows, int count) =>
        Assert.That(Sample(_acc, _nystrom, TestData.SignedSingles(rows * 8, 3), rows, 8, count, 1), Is.EqualTo(Enumerable.Range(0, Math.Min(rows, count)).ToArray()).AsCollection);

    [TestCase(200, 8, 30, 2)]
    [TestCase(130, 5, 20, 3)] // ragged slices: 44, 44, 42 rows
    public void SeveralGroups_MatchHostFloat32(int rows, int p, int count, int groups)
    {
        var points = TestData.SignedSingles(rows * p, 7 * rows + p);
        Assert.That(Sample(_dual, _dualNystrom, points, rows, p, count, groups), Is.EqualTo(NystromReference.FarthestPointSample(points, rows, p, count)).AsCollection);
    }

    [Test]
    public void StalledBarrier_WarnsAndFallsBackToOneGroup()
    {
        // Two groups on one multiprocessor run one after the other, and a poll limit of 0 gives up at the first wait.
        const int rows = 120, p = 4, count = 15;
        var points = TestData.SignedSingles(rows * p, 11);
        using var log = new StringWriter();
        var listener = new TextWriterTraceListener(log);
        Trace.Listeners.Add(listener);
        try
        {
            var picks = Sample(_acc, _nystrom, points, rows, p, count, 2, spinLimit: 0);
            Assert.That(picks, Is.EqualTo(NystromReference.FarthestPointSample(points, rows, p, count)).AsCollection);
        }
        finally
        {
            Trace.Listeners.Remove(listener);
        }
        listener.Flush();
        Assert.That(log.ToString(), Does.Contain("stalled at a barrier"));
    }
}
