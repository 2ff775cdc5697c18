// NystromNcutFile: saving a NystromNcut fit to a file or stream, and loading it — in another process, on any device — ready for Transform.
using System.Diagnostics;
using System.Numerics;
using NcutKernels.IO;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

public sealed partial class NystromNcut
{
    /// <summary>
    /// Saves the fit to <paramref name="path"/> in the versioned fit format (docs/FIT-FORMAT.md), atomically: written under a
    /// temporary name beside it and renamed into place, so a failure leaves no partial file and an existing file as it was.
    /// </summary>
    /// <remarks>
    /// The file holds what <see cref="Transform{T}(T[,])"/> uses: the settings that bear on it (path, affinity, propagation,
    /// distance precision, seed, k), the fitted n and d, the feature scale, σ, the eigenvalues and output column signs, the
    /// landmark rows and features in the fit's element type (float32, or float64 on <see cref="DeviceKind.Cpu"/>), their eigenvectors
    /// and graph degrees, and the prepared propagation (anchor positions, degrees, bandwidth, neighbours and values). A Nyström
    /// fit's features and propagation live on the device and are downloaded for it; an exact or differentiable fit prepares its
    /// propagation first, as its first transform would. <see cref="Load(ComputeDevice, string, TextWriter?)"/> then gives the
    /// transforms this instance gives: bit-identical on the same device kind and element type (the same arithmetic on the
    /// same numbers), within float rounding on another.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or invalid.</exception>
    /// <exception cref="InvalidOperationException">No fit has run yet.</exception>
    /// <exception cref="ObjectDisposedException">This instance or its device is disposed.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a folder, its folder does not exist, or writing failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = Snapshot();
        StagedFiles.WriteAtomically(path, file.Write);
    }

    /// <summary>As <see cref="Save(string)"/>, written to <paramref name="stream"/> from its current position (not atomic: the caller owns the stream).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    /// <exception cref="InvalidOperationException">No fit has run yet.</exception>
    /// <exception cref="ObjectDisposedException">This instance or its device is disposed.</exception>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        Snapshot().Write(stream);
    }

    /// <summary>
    /// Loads a fit saved by <see cref="Save(string)"/> onto <paramref name="device"/> (any kind: a fit made on the CPU transforms
    /// on CUDA and the reverse), ready for <see cref="Transform{T}(T[,])"/>. The fitted properties (<see cref="Path"/>,
    /// <see cref="Eigenvalues"/>, <see cref="Sigma"/>, <see cref="LandmarkIndices"/>, <see cref="AnchorIndices"/>, the propagation's)
    /// are those of the saved fit; <see cref="Options"/> and <see cref="Nystrom"/> hold the saved settings that bear on a transform
    /// (k, affinity, seed, propagation, distance precision; the rest are defaults); <see cref="Report"/> and <see cref="Timings"/>
    /// are null. Nothing goes to the device until the first transform, which uploads the fit in its element type (a float64 fit
    /// transforms in float32 on a device without float64).
    /// </summary>
    /// <param name="device">Where the transforms run.</param>
    /// <param name="path">The fit file.</param>
    /// <param name="log">Where progress lines go (null: silent); becomes the loaded instance's <see cref="NcutOptions.Log"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="device"/> is disposed.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">A folder on <paramref name="path"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is not readable.</exception>
    /// <exception cref="InvalidDataException">
    /// <paramref name="path"/> is a folder or not a fit file this version reads — a wrong magic, a newer or unknown format version,
    /// a truncated or corrupted file (every length is checked against the file's size before anything is allocated, then a
    /// CRC-32 over the whole file), or values no fit holds; the message starts with the path and says what is wrong.
    /// </exception>
    public static NystromNcut Load(ComputeDevice device, string path, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentException.ThrowIfNullOrEmpty(path);
        device.ThrowIfDisposed();
        if (Directory.Exists(path))
            throw new InvalidDataException($"{path}: is a folder, not an ncut fit file.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return FromFile(device, NystromFitFile.Read(stream, wholeStream: true), log);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// As <see cref="Load(ComputeDevice, string, TextWriter?)"/>, reading one fit from <paramref name="stream"/> at its current position
    /// (left just after the fit). On a seekable stream every length is checked against the bytes left before anything is
    /// allocated; on other streams the arrays are taken in chunks as the bytes arrive, so an overstated length fails at the
    /// stream's end.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> or <paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="device"/> is disposed.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a fit this version reads (see the path overload).</exception>
    /// <exception cref="IOException">The stream failed.</exception>
    public static NystromNcut Load(ComputeDevice device, Stream stream, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(stream);
        device.ThrowIfDisposed();
        if (!stream.CanRead)
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        return FromFile(device, NystromFitFile.Read(stream, wholeStream: false), log);
    }

    /// <summary>A new instance on <paramref name="device"/> holding the read fit (nothing on the device yet).</summary>
    private static NystromNcut FromFile(ComputeDevice device, NystromFitFile file, TextWriter? log)
    {
        var options = new NcutOptions { EigenvectorCount = file.Eigenvalues.Length, Affinity = file.Affinity, Seed = file.Seed, Log = log };
        var nystrom = new NystromOptions { Propagation = file.Propagation, DistancePrecision = file.Precision };
        var loaded = new NystromNcut(device, options, nystrom)
        {
            Path = file.Path,
            _fit = new NystromFit(file.Points, file.Cols, file.Indices, file.Features, file.Vectors, file.Degrees, file.Eigenvalues, file.Sigma,
                file.OutputSigns, file.Scale, file.Values),
            _propagator = file.Plan,
        };
        log?.WriteLine($"nystrom: loaded a {file.Path} fit of {file.Points} × {file.Cols} ({(file.Features is double[] ? "float64" : "float32")}): " +
            $"{file.Indices.Length} landmarks, k = {file.Eigenvalues.Length}, {file.Affinity} σ={loaded.Sigma:G6}, {file.Propagation} propagation over {file.Plan.Rows.Length} anchors");
        return loaded;
    }

    /// <summary>
    /// The fit as a file holds it, in the element type of its device-resident part (else of its host features, float64 only on
    /// <see cref="DeviceKind.Cpu"/>); prepares the propagation first when the fit has not (see <see cref="Save(string)"/>).
    /// </summary>
    private NystromFitFile Snapshot()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _device.ThrowIfDisposed();
        var fit = _fit ?? throw new InvalidOperationException("Save needs a fit: call Fit or FitTransform first.");
        return FitIsDouble(fit) ? Snapshot<double>(fit) : Snapshot<float>(fit);
    }

    private NystromFitFile Snapshot<T>(NystromFit fit) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // T is the resident's element type (or the one the first transform would choose), so no converted copy is made.
        var (resident, _, _) = PrepareOnce<T>(fit, Stopwatch.StartNew());
        var features = Download(resident.Features);
        var values = Download(resident.Values!);
        var vectors = fit.Vectors ?? resident.DownloadVectors();
        return new NystromFitFile(Path, Options.Affinity, Propagation, Nystrom.DistancePrecision, Options.Seed, fit.Points, fit.Cols, fit.Scale, fit.Sigma,
            fit.Eigenvalues, fit.OutputSigns!, fit.Indices, features, vectors, fit.Degrees, _propagator!, values);
    }
}
