// NystromCudaTests: the Nyström kernels on CUDA at realistic sizes against the host references, with timings in the test output (ignored where no CUDA device exists).
using System.Diagnostics;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using NUnit.Framework;
using NcutKernels.Backends;
using NcutKernels.Backends.Ilgpu;
using NcutKernels.Runtime;

namespace NcutKernels.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class NystromCudaTests
{
    private Context? _context;
    private Accelerator? _acc;
    private IlgpuResources? _resources;
    private IlgpuNystrom? _nystrom;

    [OneTimeSetUp]
    public void Setup()
    {
        CudaLibraryResolver.Install();
        try
        {
            _context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
            var devices = _context.GetCudaDevices();
            if (devices.Count == 0)
                return;
            _acc = devices[0].CreateCudaAccelerator(_context);
            _nystrom = new IlgpuNystrom(_resources = new IlgpuResources(_acc));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            TearDown();
        }
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _resources?.Dispose();
        _acc?.Dispose();
        _context?.Dispose();
        (_resources, _nystrom, _acc, _context) = (null, null, null, null);
    }

    private (Accelerator Acc, IlgpuNystrom Nystrom) Cuda
    {
        get
        {
            if (_acc is null || _nystrom is null)
                Assert.Ignore("No usable CUDA device on this machine.");
            return (_acc!, _nystrom!);
        }
    }

    /// <summary>
    /// The walk on CUDA is checked for the greedy property in float64 rather than pick by pick: CUDA fuses each square
    /// into the running sum (fma), so distances differ from the float32 host reference in the last bit and a near-tie
    /// may go the other way, after which the walks legitimately differ. Every pick must be unpicked and within 1e-5
    /// (relative) of the farthest row's distance to the picks before it.
    /// </summary>
    [TestCase(40960, 8, 2048)] // FPS candidates of the Nyström sample (4 × 10240 at full size)
    [TestCase(10240, 100, 1024)] // anchors in eigenvector space
    public void FarthestPointSample_IsGreedy(int rows, int p, int count)
    {
        var (acc, nystrom) = Cuda;
        var points = TestData.UniformSingles(rows * p, 1);
        using var buffer = acc.Allocate1D(points);
        nystrom.FarthestPointSample(buffer.View, rows, p, count); // warm-up: kernel compilation
        var sw = Stopwatch.StartNew();
        var picks = nystrom.FarthestPointSample(buffer.View, rows, p, count);
        double ms = sw.Elapsed.TotalMilliseconds;
        var reference = NystromReference.FarthestPointSample(points, rows, p, count);
        int agree = picks.Zip(reference).TakeWhile(q => q.First == q.Second).Count();
        TestContext.Out.WriteLine($"FPS {rows}×{p} → {count}: {ms:F2} ms on CUDA; first {agree} picks equal the float32 host walk's");

        Assert.That(picks[0], Is.Zero);
        var dist = Enumerable.Repeat(double.PositiveInfinity, rows).ToArray();
        var picked = new bool[rows];
        for (int s = 0; s < count; s++)
        {
            int pick = picks[s];
            Assert.That(picked[pick], Is.False, $"row {pick} picked twice (step {s})");
            if (s > 0)
            {
                double farthest = Enumerable.Range(0, rows).Where(r => !picked[r]).Max(r => dist[r]);
                Assert.That(dist[pick], Is.GreaterThanOrEqualTo(farthest * (1 - 1e-5)), $"step {s}");
            }
            picked[pick] = true;
            Parallel.For(0, rows, r =>
            {
                double sum = 0;
                for (int e = 0; e < p; e++)
                {
                    double t = (double)points[r * p + e] - points[pick * p + e];
                    sum += t * t;
                }
                dist[r] = Math.Min(dist[r], sum);
            });
        }
    }

    /// <summary>
    /// The grid walk (every multiprocessor, barriers through global atomics) picks exactly the rows of the one-group walk:
    /// both sum the same float32 terms in the same order and break ties alike. 10240 picks of 10⁵ and 10⁶ points (targets
    /// ≤ 30 and ≤ 60 ms on an H100/H200); the shape and both timings go to the test output.
    /// </summary>
    [TestCase(100_000)]
    [TestCase(1_000_000)]
    public void FarthestPointSample_GridEqualsOneGroup(int rows)
    {
        var (acc, nystrom) = Cuda;
        const int p = 8, count = 10240;
        using var buffer = acc.Allocate1D(TestData.UniformSingles(rows * p, 2));
        var shape = nystrom.GridShape(rows, p);
        Assert.That(shape.Groups, Is.GreaterThan(1), "CUDA runs the grid walk");
        int[] Timed(string what, (int, int) s)
        {
            nystrom.FarthestPointSample(buffer.View, rows, p, 2, s, IlgpuNystrom.GridSpinLimit); // warm-up: kernel compilation
            var sw = Stopwatch.StartNew();
            var picks = nystrom.FarthestPointSample(buffer.View, rows, p, count, s, IlgpuNystrom.GridSpinLimit);
            TestContext.Out.WriteLine($"FPS {rows}×{p} → {count}, {what} {s}: {sw.Elapsed.TotalMilliseconds:F1} ms");
            return picks;
        }
        var grid = Timed("grid", shape);
        var group = Timed("one group", (0, 0));
        Assert.That(grid, Is.EqualTo(group).AsCollection);
    }

    /// <summary>
    /// n = 20000 rows, d = 256, 1024 anchors, K = 32, k = 20 against the float64 host loop. Random data has near-ties, so
    /// outputs and neighbour sets are compared on the rows whose K-th and (K+1)-th nearest anchors are ≥ 2e-4 apart
    /// (≳ 10× the float32 error of distances ≈ 43), the neighbour order on rows without any near-tie among the K + 1.
    /// </summary>
    [TestCase(false, 0)]
    [TestCase(true, 4096)]
    public void PropagateNearest_MatchesHostFloat64(bool degrees, int chunkRows)
    {
        var (acc, nystrom) = Cuda;
        const int n = 20000, d = 256, a = 1024, k = 20, neighbours = 32;
        const float sigma = 4f;
        var x = TestData.UniformSingles(n * d, 2);
        var anchors = TestData.UniformSingles(a * d, 3);
        var values = TestData.UniformSingles(a * k, 4).Select(v => 2 * v - 1).ToArray();
        var deg = degrees ? TestData.UniformSingles(a, 5).Select(v => v + 0.5f).ToArray() : null;
        using var xb = acc.Allocate1D(x);
        using var ab = acc.Allocate1D(anchors);
        using var vb = acc.Allocate1D(values);
        using var ob = acc.Allocate1D<float>((long)n * k);
        using var ib = acc.Allocate1D<int>((long)n * neighbours);
        using var wb = acc.Allocate1D<float>((long)n * neighbours);
        void Run() => nystrom.PropagateNearest(xb.View, n, d, ab.View, a, vb.View, k, deg, sigma, neighbours, ob.View, ib.View, wb.View, chunkRows);
        Run(); // warm-up: kernel compilation
        var sw = Stopwatch.StartNew();
        Run();
        TestContext.Out.WriteLine($"PropagateNearest {n}×{d}, {a} anchors, K={neighbours}, k={k}, chunk {chunkRows}: {sw.Elapsed.TotalMilliseconds:F2} ms on CUDA");
        var output = ob.GetAsArray1D();
        var indices = ib.GetAsArray1D();
        var weights = wb.GetAsArray1D();

        var expected = NystromReference.PropagateNearest(x, n, d, anchors, a, values, k, deg, sigma, neighbours, 2e-4);
        int clear = expected.Boundary.Count(b => b), ordered = expected.Order.Count(b => b);
        TestContext.Out.WriteLine($"{clear} rows with an unambiguous neighbour set, {ordered} with an unambiguous order");
        Assert.That(clear, Is.GreaterThan(0.95 * n), "too many near-ties in the test data");
        for (int i = 0; i < n; i++)
        {
            if (!expected.Boundary[i])
                continue;
            var set = indices.AsSpan(i * neighbours, neighbours).ToArray().Order();
            var want = expected.Indices.AsSpan(i * neighbours, neighbours).ToArray().Order();
            Assert.That(set, Is.EqualTo(want).AsCollection, $"neighbour set of row {i}");
            for (int c = 0; c < k; c++)
            {
                double e = expected.Output[i * k + c];
                Assert.That(output[i * k + c], Is.EqualTo(e).Within(1e-5 + 1e-4 * Math.Abs(e)), $"output[{i},{c}]");
            }
            if (!expected.Order[i])
                continue;
            for (int t = 0; t < neighbours; t++)
            {
                int o = i * neighbours + t;
                Assert.That(indices[o], Is.EqualTo(expected.Indices[o]), $"neighbour {t} of row {i}");
                Assert.That(weights[o], Is.EqualTo(expected.Weights[o]).Within(1e-6 + 1e-4 * expected.Weights[o]), $"weight {t} of row {i}");
            }
        }
    }
}
