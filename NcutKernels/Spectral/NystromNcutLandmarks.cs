// NystromNcutLandmarks: solving a Nyström fit's landmark graph on the device (NormalizedGraph; eigenvectors left there, signs from their sums).
using System.Diagnostics;
using System.Numerics;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{

    /// <summary>
    /// Exact Ncut on the landmark rows <paramref name="xm"/> (the resident features; for cosine, their unit-scaled copy) through
    /// the device (as <see cref="Ncut"/>): returns the eigenvalues, the
    /// landmark graph's degrees and, when the classic extension of a fit on n = <paramref name="points"/> may run over a landmark
    /// subset, what its least-squares fit needs (the caller owns it); the eigenvectors stay on the device
    /// (<see cref="NystromResident{T}.SetVectors"/>), each with the sign that makes its sum over the landmarks ≥ 0.
    /// </summary>
    private (double[] eigenvalues, double[] degrees, LandmarkCapture<T>? capture) LandmarkNcut<T>(NystromResident<T> resident, DeviceMatrix<T> xm, double sigma, int points)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sw = Stopwatch.StartNew();
        using var graph = NormalizedGraph<T>.Build(_device, Options, xm.All, sigma);
        var d = new T[xm.Rows];
        graph.Degrees.Download(d);
        var degrees = HostArrays.Widen<T>(d);
        // What the propagation method takes from the raw affinity (the classic extension's subset rows) is kept before normalizing.
        var capture = _method.Capture(graph.Matrix, points);
        try
        {
            var eigenvalues = LandmarkEigen(resident, graph, sw);
            capture?.Complete(graph.Matrix, resident.Vectors!, resident.Signs!, eigenvalues, degrees);
            return (eigenvalues, degrees, capture);
        }
        catch
        {
            capture?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Normalizes the landmark graph and solves for its top-k eigenpairs (<see cref="LandmarkNcut"/>): returns the eigenvalues and
    /// keeps the eigenvectors on the device with the signs that make their sums over the landmarks ≥ 0.
    /// </summary>
    private double[] LandmarkEigen<T>(NystromResident<T> resident, NormalizedGraph<T> graph, Stopwatch sw) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = Options.EigenvectorCount, m = graph.Matrix.Rows;
        var be = _device.Backend;
        graph.Normalize();
        be.Synchronize();
        var log = Options.Log;
        log?.WriteLine($"nystrom: landmark affinity, degrees and normalization in {sw.Elapsed.TotalMilliseconds:F1} ms");
        var (values, vectors, report) = graph.SolveOnDevice(log is null ? null : log.WriteLine);
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
        return values;
    }
}
