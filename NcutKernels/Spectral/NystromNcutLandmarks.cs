// NystromNcutLandmarks: choosing the landmarks of a Nyström fit and solving their graph on the device (eigenvectors left there, signs from their sums).
using System.Diagnostics;
using System.Numerics;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    /// <summary>The landmark rows, ascending: m = min(SampleCount, ⌊n·SampleMaxRatio⌋) of them by <see cref="NystromOptions.Sampling"/> (constant: no gradient).</summary>
    private int[] SampleLandmarks<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = LandmarkCount(rows);
        var indices = Nystrom.Sampling == LandmarkSampling.Uniform
            ? UniformSample(rows, m, Options.Seed)
            : FarthestPointSampling.Sample(_device, x, rows, cols, m, Options.Seed);
        Array.Sort(indices);
        return indices;
    }

    /// <summary>m = min(SampleCount, ⌊n·SampleMaxRatio⌋) for n = rows; throws when m ≤ k.</summary>
    private int LandmarkCount(int rows)
    {
        int k = Options.EigenvectorCount;
        int m = (int)Math.Min(Nystrom.SampleCount, Math.Floor(rows * Nystrom.SampleMaxRatio));
        if (m <= k)
            throw new ArgumentOutOfRangeException(nameof(Options.EigenvectorCount), k,
                $"Nyström on n = {rows} points uses m = {m} landmarks (SampleCount {Nystrom.SampleCount}, SampleMaxRatio {Nystrom.SampleMaxRatio}); " +
                "EigenvectorCount must be less than m (raise the sample or take the exact path).");
        return m;
    }

    /// <summary>
    /// m distinct rows of n, uniformly at random from <paramref name="seed"/>: the first m steps of a Fisher–Yates shuffle of
    /// 0..n−1, with only the displaced entries stored (O(m) memory and time, not O(n)).
    /// </summary>
    private static int[] UniformSample(int n, int m, int seed)
    {
        var random = new Random(seed);
        var displaced = new Dictionary<int, int>(m);
        var rows = new int[m];
        for (int i = 0; i < m; i++)
        {
            int j = random.Next(i, n);
            int atI = displaced.GetValueOrDefault(i, i);
            rows[i] = displaced.GetValueOrDefault(j, j);
            displaced[j] = atI;
        }
        return rows;
    }

    /// <summary>
    /// Exact Ncut on the landmark rows <paramref name="xm"/> (the resident features; for cosine, their unit-scaled copy) through
    /// the device (as <see cref="Ncut"/>): returns the eigenvalues, the
    /// landmark graph's degrees and, when the classic extension of a fit on n = <paramref name="points"/> may run over a landmark
    /// subset, what its least-squares fit needs (the caller owns it); the eigenvectors stay on the device
    /// (<see cref="Resident{T}.SetVectors"/>), each with the sign that makes its sum over the landmarks ≥ 0.
    /// </summary>
    private (double[] eigenvalues, double[] degrees, SubsetInputs<T>? subset) LandmarkNcut<T>(Resident<T> resident, DeviceMatrix<T> xm, double sigma, int points)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = Options.EigenvectorCount;
        var be = _device.Backend;
        var sw = Stopwatch.StartNew();
        int m = xm.Rows;
        using var w = DeviceMatrix<T>.Allocate(_device, m, m);
        using var degrees = DeviceMatrix<T>.Allocate(_device, 1, m);
        be.Affinity(xm.All, w, Options.Affinity, 1 / (2 * sigma * sigma));
        be.RowSums(w, degrees.All);
        var d = new T[m];
        degrees.Download(d);
        // The classic extension over a landmark subset fits its weights to these raw affinity rows: kept before normalizing.
        var sizes = SubsetSizes(points, m);
        var subsetRows = sizes.Length > 0 ? SubsetAffinityRows(w, sizes[^1]) : null;
        try
        {
            var eigenvalues = LandmarkEigen(resident, w, degrees, sw);
            var wide = Widen<T>(d);
            var (vectors, signs) = (resident.Vectors!, resident.Signs!);
            return (eigenvalues, wide, subsetRows is null ? null : new SubsetInputs<T>(subsetRows, ClassicTargets(w, vectors, signs, eigenvalues, wide)));
        }
        catch
        {
            subsetRows?.Dispose();
            throw;
        }
    }

    /// <summary>Normalizes the landmark affinity in place and solves for its top-k eigenpairs (<see cref="LandmarkNcut"/>): returns the eigenvalues.</summary>
    private double[] LandmarkEigen<T>(Resident<T> resident, DeviceMatrix<T> w, DeviceMatrix<T> degrees, Stopwatch sw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = Options.EigenvectorCount, m = w.Rows;
        var be = _device.Backend;
        be.Normalize(w, degrees.All, Options.DiagonalShift);
        be.Synchronize();
        var log = Options.Log;
        log?.WriteLine($"nystrom: landmark affinity, degrees and normalization in {sw.Elapsed.TotalMilliseconds:F1} ms");
        var lanczos = Options.Lanczos<T>();
        var (values, vectors, report) = BlockLanczos<T>.SolveOnDevice(_device, w, k, lanczos.Tolerance, lanczos.Seed, lanczos.MaxBlockProducts,
            log is null ? null : log.WriteLine);
        try
        {
            using var ones = DeviceMatrix<T>.Upload(_device, Enumerable.Repeat(T.One, m).ToArray(), 1, m);
            var sums = be.InnerProducts(vectors.All, ones.All);
            resident.SetVectors(vectors, Enumerable.Range(0, k).Select(c => sums[c, 0] < 0 ? -1.0 : 1.0).ToArray());
        }
        catch
        {
            vectors.Dispose();
            throw;
        }
        Report = report;
        log?.WriteLine($"nystrom: landmark eigen-solve {report}");
        if (Reliability.OfEigenSolve("landmark eigen-solve", report, typeof(T) == typeof(float)) is { } warning)
            Options.Warn(warning);
        return values.Select(v => v - Options.DiagonalShift).ToArray();
    }
}
