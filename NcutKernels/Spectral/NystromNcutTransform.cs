// NystromNcutTransform: embedding rows with a fitted NystromNcut — host rows in chunks or device-resident rows, the fit's propagation prepared once and kept on the device.
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using NcutKernels.Core;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    /// <summary>
    /// Embeds the rows of <paramref name="x"/> (n×d, the fitted d) with the fitted landmarks, without refitting: returns n×k.
    /// Exact-path fits prepare their anchors on the first call.
    /// </summary>
    /// <exception cref="InvalidOperationException">No fit has run yet.</exception>
    public T[,] Transform<T>(T[,] x) where T : unmanaged, IFloatingPointIeee754<T> => Transform(Span(x), x.GetLength(0), x.GetLength(1));

    /// <summary>As <see cref="Transform{T}(T[,])"/> for x given row-major with <paramref name="rows"/> × <paramref name="cols"/> elements.</summary>
    public T[,] Transform<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var fit = BeginTransform<T>(rows, cols);
        var scaled = ScaledTransformRows(x, rows, cols, fit.Scale);
        return TransformCore(scaled is null ? x : scaled, rows, cols);
    }

    /// <summary>
    /// As <see cref="Transform{T}(T[,])"/> for x resident on this device (n×d, the fitted d): returns a new n×k
    /// <see cref="DeviceMatrix{T}"/> (the caller disposes it); x is not copied to the host.
    /// </summary>
    /// <exception cref="InvalidOperationException">No fit has run yet.</exception>
    public DeviceMatrix<T> Transform<T>(DeviceMatrix<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckDeviceInput(x);
        var fit = BeginTransform<T>(x.Rows, x.Cols);
        CheckDeviceValues(x);
        ThrowIfBeyondScale<T>(_device.Backend.MaxAbs(x.All), fit.Scale);
        if (fit.Scale.IsIdentity)
            return TransformDevice(x);
        using var scaled = ScaledCopy(x, fit.Scale);
        return TransformDevice(scaled);
    }

    /// <summary>Propagates the rows of x (row-major, checked, in the fit's scaled units) in chunks: returns n×k.</summary>
    private T[,] TransformCore<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var fit = BeginTransform<T>(rows, cols);
        var sw = Stopwatch.StartNew();
        var (resident, converted, anchorsMs) = PrepareOnce<T>(fit, sw);
        using var _ = converted;
        int k = fit.Eigenvalues.Length;
        var result = new T[rows, k];
        var output = MemoryMarshal.CreateSpan(ref result[0, 0], result.Length);
        int chunk = Math.Min(Nystrom.ChunkRows, rows);
        using var xc = DeviceMatrix<T>.Allocate(_device, chunk, cols);
        using var oc = DeviceMatrix<T>.Allocate(_device, chunk, k);
        using var run = _method.Start(resident, _propagator!, chunk);
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int len = Math.Min(chunk, rows - r0);
            xc.Storage.Upload(x.Slice((int)((long)r0 * cols), len * cols), 0);
            run.Propagate(xc.RowRange(0, len), oc.RowRange(0, len));
            oc.Storage.Download(output.Slice((int)((long)r0 * k), len * k), 0);
            if (rows > chunk)
                Options.Log?.WriteLine($"nystrom: propagated {r0 + len}/{rows} rows");
        }
        long bad = FiniteScan.FirstNonFinite<T>(output);
        if (bad >= 0)
            throw NonFiniteOutput(bad, k);
        EndTransform(rows, anchorsMs, sw.Lap());
        return result;
    }

    /// <summary>The error for a non-finite entry at flat index <paramref name="bad"/> of an n×k output (the guard on every propagation).</summary>
    private static ArithmeticException NonFiniteOutput(long bad, int k) =>
        new($"NystromNcut produced a non-finite embedding entry at row {bad / k}, vector {bad % k}; the result is not returned.");

    /// <summary>Propagates device-resident x (checked, in the fit's scaled units): returns a new n×k matrix on the device.</summary>
    private DeviceMatrix<T> TransformDevice<T>(DeviceMatrix<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var fit = BeginTransform<T>(x.Rows, x.Cols);
        var sw = Stopwatch.StartNew();
        var (resident, converted, anchorsMs) = PrepareOnce<T>(fit, sw);
        using var _ = converted;
        var result = DeviceMatrix<T>.Allocate(_device, x.Rows, fit.Eigenvalues.Length);
        try
        {
            // The classic sums hold rows×(k+1) floats per pass: at most int.MaxValue of them (one launch's threads finish them).
            int passRows = Math.Min(Math.Min(Math.Max(Nystrom.ChunkRows, DeviceClassicChunk), x.Rows), int.MaxValue / (fit.Eigenvalues.Length + 1));
            using var run = _method.Start(resident, _propagator!, passRows);
            run.Propagate(x.All, result.All);
            if (_device.Backend.FirstNonFinite(result.All) is var bad and >= 0)
                throw NonFiniteOutput(bad, result.Cols);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        EndTransform(x.Rows, anchorsMs, sw.Lap());
        return result;
    }

    /// <summary>The fit a transform of rows×cols uses (checked).</summary>
    private NystromFit BeginTransform<T>(int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckType<T>();
        var fit = _fit ?? throw new InvalidOperationException("Transform needs a fit: call Fit or FitTransform first.");
        if (rows < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "Need at least 1 row.");
        if (cols != fit.Cols)
            throw new ArgumentException($"x has {cols} columns; the fit had d = {fit.Cols}.", "x");
        return fit;
    }

    /// <summary>
    /// The device-resident fit with its propagation prepared, in T, and the milliseconds that took: a Nyström fit's own (ready);
    /// a loaded fit's, uploaded on the first transform in T with the plan and values the file holds (nothing recomputed);
    /// after an exact or differentiable fit, on the first transform, the host copies uploaded in T and the propagation prepared
    /// there (kept); and when the fit's element type is not T, a converted copy for this transform only (also returned as
    /// <c>converted</c>, for the caller to dispose), so the fit itself never loses precision.
    /// </summary>
    private (NystromResident<T> resident, IDisposable? converted, double ms) PrepareOnce<T>(NystromFit fit, Stopwatch sw) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The resident fit is made once, in the fit's own element type whatever T the first transform asks for, so that a
        // transform in float32 first never takes float64 precision from later ones (or from Save).
        double made = 0;
        if (_resident is null && FitIsDouble(fit) != (typeof(T) == typeof(double)))
            made = FitIsDouble(fit) ? PrepareOnce<double>(fit, sw).ms : PrepareOnce<float>(fit, sw).ms;
        if (_resident is null && fit.PreparedValues is not null)
        {
            var loaded = NystromResident<T>.Loaded(_device, fit, _propagator!);
            _resident = loaded;
            return (loaded, null, sw.Lap());
        }
        if (_resident is null)
        {
            var created = new NystromResident<T>(DeviceMatrix<T>.Upload(_device, HostArrays.As<T>(fit.Features!), fit.Indices.Length, fit.Cols), null, null);
            try
            {
                _propagator = _method.Prepare<T>(fit, created, null);
                if (fit.OutputSigns is { } signs)
                    created.ScaleValues(_device, signs);
            }
            catch
            {
                created.Dispose();
                throw;
            }
            _resident = created;
            return (created, null, sw.Lap());
        }
        if (_resident is NystromResident<T> same)
            return (same, null, 0);
        var copy = _resident.Convert<T>(_device);
        return (copy, copy, made + sw.Lap());
    }

    /// <summary>
    /// Whether the fit's own element type is float64: its device-resident part's once made, else its host features' (float64
    /// only on <see cref="DeviceKind.Cpu"/>).
    /// </summary>
    private bool FitIsDouble(NystromFit fit) =>
        _resident is not null ? _resident is NystromResident<double> : fit.Features is double[] && _device.Kind == DeviceKind.Cpu;

    private void EndTransform(int rows, double anchorsMs, double propagationMs)
    {
        var t = Timings ?? new NystromTimings(0, 0, 0, 0, 0);
        Timings = t with { AnchorsMs = t.AnchorsMs + anchorsMs, PropagationMs = propagationMs };
        Options.Log?.WriteLine($"nystrom: propagated {rows} rows in {propagationMs:F1} ms");
    }

    /// <summary>Device-resident input: the classic extension's sums cover at least this many rows per pass (each pass prepares the anchors and synchronizes).</summary>
    private const int DeviceClassicChunk = 1 << 18;
}
