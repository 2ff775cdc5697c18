// NormalizedGraph: the exact spectral pipeline on the device — affinity W, degrees d = W·1, M = D^-1/2·W·D^-1/2 + shift·I in place, top-k eigenpairs of M — shared by Ncut and the Nyström landmark graph.
using System.Numerics;
using NcutKernels.Backends;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

/// <summary>
/// The graph of one exact solve, on the device (docs/MATH.md §1–3): <see cref="Build"/> computes the affinity W of the rows at
/// σ and its degrees; <see cref="Normalize"/> turns W into M in place (callers may read the raw W before); <see cref="Solve"/>
/// and <see cref="SolveOnDevice"/> return M's top-k eigenpairs by block Lanczos with <see cref="NcutOptions.Lanczos{T}"/>,
/// eigenvalues with the diagonal shift removed. Owns W and d (n×n and n on the device) until disposed.
/// </summary>
internal sealed class NormalizedGraph<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ComputeDevice _device;
    private readonly NcutOptions _options;

    private NormalizedGraph(ComputeDevice device, NcutOptions options, DeviceMatrix<T> matrix, DeviceMatrix<T> degrees) =>
        (_device, _options, Matrix, Degrees) = (device, options, matrix, degrees);

    /// <summary>W (n×n): the raw affinity until <see cref="Normalize"/>, then M.</summary>
    public DeviceMatrix<T> Matrix { get; }

    /// <summary>The degrees d = W·1 (1×n) of the raw affinity.</summary>
    public DeviceMatrix<T> Degrees { get; }

    /// <summary>Whether <see cref="Matrix"/> holds M.</summary>
    public bool IsNormalized { get; private set; }

    /// <summary>The affinity (<see cref="NcutOptions.Affinity"/>) of the rows of <paramref name="x"/> (n×d, on the device) at σ = <paramref name="sigma"/>, and its degrees.</summary>
    public static NormalizedGraph<T> Build(ComputeDevice device, NcutOptions options, Block<T> x, double sigma)
    {
        var w = DeviceMatrix<T>.Allocate(device, x.Rows, x.Rows);
        DeviceMatrix<T>? degrees = null;
        try
        {
            degrees = DeviceMatrix<T>.Allocate(device, 1, x.Rows);
            var be = device.Backend;
            be.Affinity(x, w, options.Affinity, 1 / (2 * sigma * sigma));
            be.RowSums(w, degrees.All);
        }
        catch
        {
            w.Dispose();
            degrees?.Dispose();
            throw;
        }
        return new NormalizedGraph<T>(device, options, w, degrees);
    }

    /// <summary>M = D^-1/2·W·D^-1/2 + shift·I in place (<see cref="NcutOptions.DiagonalShift"/>; degrees floored as in docs/MATH.md).</summary>
    public void Normalize()
    {
        if (IsNormalized)
            throw new InvalidOperationException("The graph is normalized already.");
        _device.Backend.Normalize(Matrix, Degrees.All, _options.DiagonalShift);
        IsNormalized = true;
    }

    /// <summary>M's top-k eigenpairs: eigenvalues descending with the shift removed, eigenvectors as a k×n row-major host array, and the solver's report.</summary>
    public (double[] values, T[] vectors, LanczosReport report) Solve(Action<string>? progress)
    {
        var s = _options.Lanczos<T>();
        var (values, vectors, report) = BlockLanczos<T>.Solve(_device, Normalized, _options.EigenvectorCount, s.Tolerance, s.Seed, s.MaxBlockProducts, progress);
        return (Unshifted(values), vectors, report);
    }

    /// <summary>As <see cref="Solve"/> with the eigenvectors left on the device (a new k×n matrix the caller disposes).</summary>
    public (double[] values, DeviceMatrix<T> vectors, LanczosReport report) SolveOnDevice(Action<string>? progress)
    {
        var s = _options.Lanczos<T>();
        var (values, vectors, report) = BlockLanczos<T>.SolveOnDevice(_device, Normalized, _options.EigenvectorCount, s.Tolerance, s.Seed, s.MaxBlockProducts, progress);
        return (Unshifted(values), vectors, report);
    }

    private DeviceMatrix<T> Normalized => IsNormalized ? Matrix : throw new InvalidOperationException("Normalize the graph before solving it.");

    private double[] Unshifted(double[] values) => values.Select(v => v - _options.DiagonalShift).ToArray();

    /// <summary>Frees W and d.</summary>
    public void Dispose()
    {
        Matrix.Dispose();
        Degrees.Dispose();
    }
}
