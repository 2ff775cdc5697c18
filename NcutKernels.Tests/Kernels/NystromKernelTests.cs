// NystromKernelTests: the Nyström kernels (farthest-point sampling, nearest-anchor propagation, the all-anchor propagation of the classic extension) on ILGPU's CPU accelerator at tiny sizes against host references.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NUnit.Framework;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Kernels;

namespace NcutKernels.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class NystromKernelTests
{
    private Context _context = null!;
    private Accelerator _acc = null!;
    private IlgpuResources _resources = null!;
    private IlgpuNystrom _nystrom = null!;

    [OneTimeSetUp]
    public void Setup()
    {
        // As ComputeDevice's IlgpuCpu: 32-wide warps, 8 warps per group.
        _context = Context.Create(b => b.CPU(new CPUDevice(32, 8, 1)).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        _acc = _context.GetCPUDevice(0).CreateCPUAccelerator(_context, CPUAcceleratorMode.Parallel);
        _nystrom = new IlgpuNystrom(_resources = new IlgpuResources(_acc));
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _resources.Dispose();
        _acc.Dispose();
        _context.Dispose();
    }

    [TestCase(300, 8, 40)]
    [TestCase(300, 20, 40)] // the anchor case: FPS in eigenvector space
    [TestCase(300, 128, 25)] // p = MaxDims: each lane of warp 0 stages four coordinates of the pick
    [TestCase(1000, 3, 200)] // more rows than threads: strided rows per thread
    public void FarthestPointSample_MatchesHostFloat32(int rows, int p, int count)
    {
        var points = TestData.UniformFloats(rows * p, rows + p);
        Assert.That(Sample(points, rows, p, count), Is.EqualTo(NystromReference.FarthestPointSample(points, rows, p, count)).AsCollection);
    }

    [Test]
    public void FarthestPointSample_TiesAndDuplicates_GoToLowestUnpickedRow()
    {
        // 40 rows on 5 distinct integer points (exact ties everywhere): after the 5 distinct points every unpicked row is at
        // distance 0, and the walk continues with the lowest unpicked rows.
        const int rows = 40, p = 3;
        var points = new float[rows * p];
        for (int r = 0; r < rows; r++)
            for (int e = 0; e < p; e++)
                points[r * p + e] = (r * 7 + e * (r % 3)) % 5;
        var picks = Sample(points, rows, p, 30);
        Assert.That(picks, Is.EqualTo(NystromReference.FarthestPointSample(points, rows, p, 30)).AsCollection);
        Assert.That(picks.Distinct().Count(), Is.EqualTo(30));
    }

    [TestCase(50, 50)]
    [TestCase(50, 80)]
    [TestCase(50, 0)]
    public void FarthestPointSample_CountAtLeastRows_GivesAllRows(int rows, int count)
    {
        var points = TestData.UniformFloats(rows * 8, 3);
        Assert.That(Sample(points, rows, 8, count), Is.EqualTo(Enumerable.Range(0, Math.Min(rows, count)).ToArray()).AsCollection);
    }

    private int[] Sample(float[] points, int rows, int p, int count)
    {
        using var buffer = _acc.Allocate1D(points);
        return _nystrom.FarthestPointSample(buffer.View, rows, p, count);
    }

    // n = 120 in chunks of 48 (two full chunks and a ragged one); a = 70 (one ragged anchor tile), d = 24 (three stripes);
    // a = 130, d = 9: two anchor tiles and a ragged stripe; K = 40: more picks than lanes. Offset 20: rows and anchors
    // far from the origin (the kernels centre them). Each case is one call (ILGPU's CPU accelerator pays about a
    // millisecond per warp shuffle, and selection takes 5 per pick).
    [TestCase(120, 24, 70, 5, 8, false, true, 0.0, 48)]
    [TestCase(120, 24, 70, 5, 8, true, true, 0.0, 48)]
    [TestCase(120, 24, 70, 5, 8, true, false, 20.0, 0)]
    [TestCase(140, 9, 130, 37, 1, false, false, 20.0, 128)]
    [TestCase(24, 9, 130, 3, 40, true, true, 0.0, 16)]
    public void PropagateNearest_MatchesHostFloat64(int n, int d, int a, int k, int neighbours, bool degrees, bool neighbourOutput, double offset, int chunkRows)
    {
        var anchors = TestData.UniformFloats(a * d, 12, offset - 1, offset + 1);
        // No near-ties among each row's K + 1 nearest anchors: 2e-4 is ≳ 20× the float32 error of the expanded squared
        // distances (≈ 2d/3 ≤ 16 here), so the kernels must pick and order exactly the float64 neighbours.
        var x = NystromReference.TieFreeRows(n, d, anchors, a, neighbours, 2e-4, 11, offset - 1, offset + 1);
        var values = TestData.UniformFloats(a * k, 13);
        var deg = degrees ? TestData.UniformFloats(a, 14, 0.5, 1.5) : null;
        float sigma = 0.6f * MathF.Sqrt(d / 6f); // mean squared distance ≈ 2d/3: weights between e^-4 and 1
        var expected = NystromReference.PropagateNearest(x, n, d, anchors, a, values, k, deg, sigma, neighbours, 2e-4);
        Assert.That(expected.Order, Is.All.True);

        using var xb = _acc.Allocate1D(x);
        using var ab = _acc.Allocate1D(anchors);
        using var vb = _acc.Allocate1D(values);
        using var ob = _acc.Allocate1D<float>((long)n * k);
        using var ib = _acc.Allocate1D<int>(neighbourOutput ? (long)n * neighbours : 0);
        using var wb = _acc.Allocate1D<float>(neighbourOutput ? (long)n * neighbours : 0);
        _nystrom.PropagateNearest(xb.View, n, d, ab.View, a, vb.View, k, deg, sigma, neighbours, ob.View, ib.View, wb.View, chunkRows);
        var output = ob.GetAsArray1D();
        // float32 distances (expansion, ~1e-5 absolute), exp and sums against float64: measured ≤ 3.4e-7 absolute on outputs of
        // size ≲ 1 (the relative error is larger only where an output cancels to nearly 0).
        Tolerances.AssertClose(output, expected.Output, 1e-5, 1e-4, "output", cols: k);
        if (!neighbourOutput)
            return;
        Assert.That(ib.GetAsArray1D(), Is.EqualTo(expected.Indices).AsCollection, "neighbour indices, ascending distance");
        var weights = wb.GetAsArray1D();
        for (int e = 0; e < weights.Length; e++)
            Assert.That(weights[e], Is.EqualTo(expected.Weights[e]).Within(1e-6 + 1e-4 * expected.Weights[e]), $"weight[{e / neighbours},{e % neighbours}]");
    }

    // The classic extension's call (every anchor, degrees given): n = 150 is a full and a ragged block of 128 rows, a = 70 two
    // whole anchor steps of 32 and a ragged one (and a ragged distance tile), k = 21 one ragged column tile, k = 45 two.
    // Chunks of 48 and 7 rows put every row at another place in its blocks: the bits must not change.
    [TestCase(150, 9, 70, 21, 0.0)]
    [TestCase(150, 9, 70, 45, 20.0)]
    public void PropagateAll_MatchesHostFloat64_WhateverTheChunk(int n, int d, int a, int k, double offset)
    {
        var anchors = TestData.UniformFloats(a * d, 31, offset - 1, offset + 1);
        var x = TestData.UniformFloats(n * d, 32, offset - 1, offset + 1);
        var values = TestData.UniformFloats(a * k, 33);
        var deg = TestData.UniformFloats(a, 34, 0.5, 1.5);
        float sigma = 0.6f * MathF.Sqrt(d / 6f);
        var expected = NystromReference.PropagateNearest(x, n, d, anchors, a, values, k, deg, sigma, a, 0);
        using var xb = _acc.Allocate1D(x);
        using var ab = _acc.Allocate1D(anchors);
        using var vb = _acc.Allocate1D(values);
        using var ob = _acc.Allocate1D<float>((long)n * k);
        float[] Run(int chunkRows)
        {
            ob.MemSetToZero();
            _nystrom.PropagateAll(xb.View, n, d, ab.View, a, vb.View, k, deg, sigma, ob.View, chunkRows);
            return ob.GetAsArray1D();
        }
        var output = Run(0);
        // As PropagateNearest above: float32 distances (expansion), exp and sums against float64.
        Tolerances.AssertClose(output, expected.Output, 1e-5, 1e-4, "output", cols: k);
        Assert.That(Run(48), Is.EqualTo(output).AsCollection, "chunks of 48 rows");
        Assert.That(Run(7), Is.EqualTo(output).AsCollection, "chunks of 7 rows");
    }

    [Test]
    public void PropagateNearest_ManyCandidates_ScansTheWholeRow()
    {
        // Anchors 0, 32, 64, … (lane 0's share of every row) sit far away, so lane 0's nearest bounds the candidates from
        // far above: all 300 anchors pass it, more than PropagationKernels.CandidateCap, and the passes scan the whole row.
        const int n = 8, d = 4, a = 300, k = 2, neighbours = 6;
        var anchors = TestData.UniformFloats(a * d, 22, -1, 1);
        for (int j = 0; j < a; j += 32)
            anchors[j * d] += 50;
        var x = NystromReference.TieFreeRows(n, d, anchors, a, neighbours, 2e-4, 23, -1, 1);
        var values = TestData.UniformFloats(a * k, 24);
        var expected = NystromReference.PropagateNearest(x, n, d, anchors, a, values, k, null, 1f, neighbours, 2e-4);
        Assert.That(expected.Order, Is.All.True);
        Assert.That(a, Is.GreaterThan(PropagationKernels.CandidateCap));
        using var xb = _acc.Allocate1D(x);
        using var ab = _acc.Allocate1D(anchors);
        using var vb = _acc.Allocate1D(values);
        using var ob = _acc.Allocate1D<float>((long)n * k);
        using var ib = _acc.Allocate1D<int>((long)n * neighbours);
        using var wb = _acc.Allocate1D<float>((long)n * neighbours);
        _nystrom.PropagateNearest(xb.View, n, d, ab.View, a, vb.View, k, null, 1f, neighbours, ob.View, ib.View, wb.View);
        Assert.That(ib.GetAsArray1D(), Is.EqualTo(expected.Indices).AsCollection, "neighbour indices, ascending distance");
        var output = ob.GetAsArray1D();
        Tolerances.AssertClose(output, expected.Output, 1e-5, 1e-4, "output", cols: k);
    }

    [Test]
    public void PropagateNearest_RejectsBadArguments()
    {
        using var buffer = _acc.Allocate1D<float>(1000);
        using var ints = _acc.Allocate1D<int>(100);
        var v = buffer.View;
        Assert.Throws<ArgumentOutOfRangeException>(() => _nystrom.PropagateNearest(v, 10, 4, v, 5, v, 2, null, 1f, 6, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nystrom.PropagateNearest(v, 10, 4, v, 5, v, 2, null, 0f, 3, v));
        Assert.Throws<ArgumentException>(() => _nystrom.PropagateNearest(v, 10, 4, v, 5, v, 2, new float[4], 1f, 3, v));
        Assert.Throws<ArgumentException>(() => _nystrom.PropagateNearest(v, 10, 4, v, 5, v, 2, null, 1f, 3, v, ints.View));
        Assert.Throws<ArgumentException>(() => _nystrom.PropagateNearest(v, 300, 4, v, 5, v, 2, null, 1f, 3, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nystrom.FarthestPointSample(v, 5, 129, 2));
    }
}
