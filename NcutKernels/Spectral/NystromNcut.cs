// NystromNcut: Nyström Normalized Cut: exact Ncut on sampled landmarks, then the eigenvectors propagated to every point on the device.
using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using NcutKernels.Backends;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

/// <summary>
/// Normalized Cut for many points, in the shape of ncut_pytorch's <c>ncut_fn</c> (docs/MATH.md, "Nyström"): m = min(SampleCount,
/// ⌊n·SampleMaxRatio⌋) landmarks (<see cref="NystromOptions.Sampling"/>), σ by the degree rule on the landmarks, the exact embedding of
/// the landmark graph (affinity → normalization → block Lanczos on the device), then every point's row from the landmark
/// eigenvectors (<see cref="NystromOptions.Propagation"/>), in chunks, on the device. Memory: the m×m landmark affinity and
/// O(chunk·(d + k)) for the nearest-anchor propagations, O(chunk·s) of distances for the classic extension (s ≤ m landmarks summed over); nothing n×n. At or below <see cref="NystromOptions.ExactThreshold"/> points
/// (<see cref="EmbeddingPath.Auto"/>) every point is a landmark and the result is <see cref="Ncut.FitTransform{T}(T[,])"/>'s.
/// </summary>
/// <remarks>
/// <see cref="Fit{T}(T[,])"/> keeps the landmarks, their eigenvectors and the propagation's anchors, so
/// <see cref="Transform{T}(T[,])"/> embeds new points without refitting. The nearest-anchor propagations choose
/// <see cref="NystromOptions.AnchorCount"/> anchors among the landmarks by farthest-point sampling in eigenvector space,
/// σp by the degree rule on the anchors' features (× <see cref="NystromOptions.ExtrapolationFactor"/>), and average over each
/// point's nearest anchors in feature space; <see cref="NystromPropagation.Classic"/> sums over every landmark instead (or, past
/// n·m = 2³⁰ pairs, a seeded subset of them with weights fitted by least squares: <see cref="NystromOptions.ClassicLandmarks"/>).
/// Signs: each output column is flipped so that its sum over the fit's own output rows is ≥ 0, decided once per fit and kept, so
/// every later transform of any shard uses the same signs. Sampling, σ and the neighbour choice are
/// deterministic: the same seed and device give bit-identical output. A Nyström fit keeps its landmark features (m×d),
/// eigenvectors and the propagation's anchors and values on the device (after an exact or differentiable fit the first
/// transform puts them there), so transforms upload only their rows — a transform in another element type than the fit's
/// converts a copy for that call: dispose the NystromNcut to free that memory (a new fit frees the previous one's). An
/// instance is not thread-safe: fits and transforms change its state.
/// </remarks>
public sealed partial class NystromNcut
{
    private readonly ComputeDevice _device;
    private Landmarks? _fit;
    private Propagator? _propagator;

    /// <summary>Creates a Nyström embedding with <paramref name="options"/> (embedding settings) and <paramref name="nystrom"/> (sampling and propagation); defaults when null.</summary>
    public NystromNcut(ComputeDevice device, NcutOptions? options = null, NystromOptions? nystrom = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        _device = device;
        Options = options ?? new NcutOptions();
        Options.Validate();
        Nystrom = nystrom ?? new NystromOptions();
        Nystrom.Validate();
        Propagation = Nystrom.Propagation ?? (Options.Affinity == AffinityKind.Rbf ? NystromPropagation.Classic : NystromPropagation.Renormalized);
        if (Propagation == NystromPropagation.Classic && Options.Affinity != AffinityKind.Rbf)
            throw new ArgumentException($"The classic Nyström extension needs the RBF affinity, got {Options.Affinity}.", nameof(nystrom));
        if (Nystrom.AccuracyCheckRows > 0 && Options.Affinity != AffinityKind.Rbf)
            throw new ArgumentException($"NystromOptions.AccuracyCheckRows compares with the classic extension, which needs the RBF affinity, got {Options.Affinity}.",
                nameof(nystrom));
    }

    /// <summary>The embedding settings.</summary>
    public NcutOptions Options { get; }

    /// <summary>The sampling and propagation settings.</summary>
    public NystromOptions Nystrom { get; }

    /// <summary>The propagation in use: <see cref="NystromOptions.Propagation"/>, or the affinity's default when that is null.</summary>
    public NystromPropagation Propagation { get; }

    /// <summary>The device the embedding runs on.</summary>
    public ComputeDevice Device => _device;

    /// <summary>The path the last fit took: <see cref="EmbeddingPath.Exact"/> or <see cref="EmbeddingPath.Nystrom"/> (<see cref="EmbeddingPath.Auto"/> before a fit).</summary>
    public EmbeddingPath Path { get; private set; } = EmbeddingPath.Auto;

    /// <summary>Eigenvalues of the landmark graph's D^-1/2·W·D^-1/2 from the last fit, descending (all points on the exact path).</summary>
    public double[] Eigenvalues => _fit is null ? [] : (double[])_fit.Eigenvalues.Clone();

    /// <summary>σ of the landmark graph's affinity (given or chosen on the landmarks), in the features' units.</summary>
    public double Sigma => _fit is null ? double.NaN : _fit.Scale.ToUser(_fit.Sigma, Options.Affinity);

    /// <summary>The rows of the fitted x that are landmarks, ascending (every row on the exact path).</summary>
    public int[] LandmarkIndices => _fit is null ? [] : (int[])_fit.Indices.Clone();

    /// <summary>
    /// The rows of the fitted x that serve as propagation anchors, ascending (for <see cref="NystromPropagation.Classic"/> the landmarks it sums over: all, or a seeded subset — <see cref="NystromOptions.ClassicLandmarks"/>);
    /// empty until the propagation is prepared (by a Nyström fit, or by the first <see cref="Transform{T}(T[,])"/> after an
    /// exact or a differentiable fit — the differentiable fit records its own propagation on the tape).
    /// </summary>
    public int[] AnchorIndices => _propagator is null ? [] : _propagator.Rows.Select(r => _fit!.Indices[r]).Order().ToArray();

    /// <summary>The propagation's bandwidth (σp for the nearest-anchor propagations, σ for the classic extension); NaN until prepared.</summary>
    public double PropagationSigma => _propagator is null ? double.NaN
        : _fit!.Scale.ToUser(_propagator.Sigma, _propagator.Classic ? Options.Affinity : AffinityKind.Rbf);

    /// <summary>How many anchors each point's row sums over; 0 until the propagation is prepared.</summary>
    public int PropagationNeighbours => _propagator?.Neighbours ?? 0;

    /// <summary>Diagnostics of the last eigen-solve (of the landmark graph, or of all points on the exact path).</summary>
    public LanczosReport? Report { get; private set; }

    /// <summary>Stage timings of the last fit; <see cref="NystromTimings.PropagationMs"/> is the last propagation's.</summary>
    public NystromTimings? Timings { get; private set; }

    /// <summary>
    /// Fits on <paramref name="x"/> (n×d) and returns this: landmarks, their eigenvectors and the propagation's anchors are kept
    /// for <see cref="Transform{T}(T[,])"/>. On the Nyström path the fit propagates its own rows once to decide the output's
    /// column signs (as <see cref="FitTransform{T}(T[,])"/> does, and at its cost).
    /// </summary>
    public NystromNcut Fit<T>(T[,] x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        FitTransform(x);
        return this;
    }

    /// <summary>As <see cref="Fit{T}(T[,])"/> for x given row-major with <paramref name="rows"/> × <paramref name="cols"/> elements.</summary>
    public NystromNcut Fit<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        FitTransform(x, rows, cols);
        return this;
    }

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
        using var run = new PropagationRun<T>(this, resident, _propagator!, chunk);
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int len = Math.Min(chunk, rows - r0);
            xc.Storage.Upload(x.Slice((int)((long)r0 * cols), len * cols), 0);
            run.Propagate(xc.RowRange(0, len), oc.RowRange(0, len));
            oc.Storage.Download(output.Slice((int)((long)r0 * k), len * k), 0);
            if (rows > chunk)
                Options.Log?.WriteLine($"nystrom: propagated {r0 + len}/{rows} rows");
        }
        long bad = FeatureChecks.FirstNonFinite<T>(output);
        if (bad >= 0)
            throw NonFiniteOutput(bad, k);
        EndTransform(rows, anchorsMs, Lap(sw));
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
            using var run = new PropagationRun<T>(this, resident, _propagator!, passRows);
            run.Propagate(x.All, result.All);
            if (_device.Backend.FirstNonFinite(result.All) is var bad and >= 0)
                throw NonFiniteOutput(bad, result.Cols);
        }
        catch
        {
            result.Dispose();
            throw;
        }
        EndTransform(x.Rows, anchorsMs, Lap(sw));
        return result;
    }

    /// <summary>The fit a transform of rows×cols uses (checked).</summary>
    private Landmarks BeginTransform<T>(int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
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
    /// after an exact or differentiable fit, on the first transform, the host copies uploaded in T and the propagation prepared
    /// there (kept); and when the fit's element type is not T, a converted copy for this transform only (also returned as
    /// <c>converted</c>, for the caller to dispose), so the fit itself never loses precision.
    /// </summary>
    private (Resident<T> resident, IDisposable? converted, double ms) PrepareOnce<T>(Landmarks fit, Stopwatch sw) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (_resident is null)
        {
            var created = new Resident<T>(DeviceMatrix<T>.Upload(_device, As<T>(fit.Features!), fit.Indices.Length, fit.Cols), null, null);
            try
            {
                _propagator = Prepare(fit, created);
                if (fit.OutputSigns is { } signs)
                    created.ScaleValues(_device, signs);
            }
            catch
            {
                created.Dispose();
                throw;
            }
            _resident = created;
            return (created, null, Lap(sw));
        }
        if (_resident is Resident<T> same)
            return (same, null, 0);
        var copy = _resident.Convert<T>(_device);
        return (copy, copy, Lap(sw));
    }

    private void EndTransform(int rows, double anchorsMs, double propagationMs)
    {
        var t = Timings ?? new NystromTimings(0, 0, 0, 0, 0);
        Timings = t with { AnchorsMs = t.AnchorsMs + anchorsMs, PropagationMs = propagationMs };
        Options.Log?.WriteLine($"nystrom: propagated {rows} rows in {propagationMs:F1} ms");
    }

    /// <summary>Fits on <paramref name="x"/> (n×d) and returns its n×k embedding (exact path: the exact eigenvectors).</summary>
    public T[,] FitTransform<T>(T[,] x) where T : unmanaged, IFloatingPointIeee754<T> => FitTransform(Span(x), x.GetLength(0), x.GetLength(1));

    /// <summary>As <see cref="FitTransform{T}(T[,])"/> for x given row-major with <paramref name="rows"/> × <paramref name="cols"/> elements.</summary>
    public T[,] FitTransform<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (nystrom, scale) = BeginFit(x, rows, cols);
        if (!nystrom)
            return FitExact(x, rows, cols, scale);
        // Features outside the precision's safe range are used as x·2^−e (exact): a scaled copy for this fit.
        var scaled = scale.IsIdentity ? null : scale.Apply(x);
        var features = scaled is null ? x : scaled;
        FitNystrom(features, rows, cols, scale);
        try
        {
            var u = TransformCore(features, rows, cols);
            FinishHostFit(features, rows, cols, u);
            return u;
        }
        catch
        {
            // A refused or failed output leaves no fit behind (the accuracy check's result stays readable).
            ForgetFit();
            throw;
        }
    }

    /// <summary>
    /// As <see cref="Fit{T}(T[,])"/> for x resident on this device (n×d). On the Nyström path x stays on the device: it is
    /// checked for NaN/∞ there and the landmark rows are gathered there and stay there; the host sees only the ≤ 4000 rows the
    /// σ rule reads (when σ is not given), with farthest-point sampling the min(n, 4m) candidate rows, and with the
    /// nearest-anchor propagations the a anchor rows (for σp) and the m×k landmark eigenvectors (for the anchors' walk); the
    /// exact path (n ≤ <see cref="NystromOptions.ExactThreshold"/>) downloads x.
    /// </summary>
    public NystromNcut Fit<T>(DeviceMatrix<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        FitTransform(x).Dispose();
        return this;
    }

    /// <summary>
    /// As <see cref="FitTransform{T}(T[,])"/> for x resident on this device (n×d): returns a new n×k <see cref="DeviceMatrix{T}"/>
    /// (the caller disposes it). On the Nyström path with uniform landmarks and the classic extension nothing n- or m×d-sized
    /// crosses to the host (the σ rule reads ≤ 4000 landmark rows there); farthest-point sampling also copies its min(n, 4m)
    /// candidate rows there, the nearest-anchor propagations the anchor rows and the landmark eigenvectors (see
    /// <see cref="Fit{T}(DeviceMatrix{T})"/>); the exact path downloads x.
    /// </summary>
    public DeviceMatrix<T> FitTransform<T>(DeviceMatrix<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckDeviceInput(x);
        FeatureChecks.ThrowIfBadEmbeddingShape(x.Rows, x.Cols, Options.EigenvectorCount, nameof(x));
        CheckDeviceValues(x);
        var scale = DeviceScale(x);
        if (!ChoosePath(x.Rows))
        {
            var host = new T[x.Length];
            x.Download(host);
            return DeviceMatrix<T>.Upload(_device, FitExact<T>(host, x.Rows, x.Cols, scale));
        }
        using var scaled = scale.IsIdentity ? null : ScaledCopy(x, scale);
        var features = scaled ?? x;
        FitDevice(features, scale);
        DeviceMatrix<T>? u = null;
        try
        {
            u = TransformDevice(features);
            FinishDeviceFit(features, u);
            return u;
        }
        catch
        {
            u?.Dispose();
            ForgetFit();
            throw;
        }
    }

    /// <summary>The Nyström fit on device-resident x (checked, in the units of <paramref name="scale"/>): sampling and gather on the device, then <see cref="FitLandmarks"/>.</summary>
    private void FitDevice<T>(DeviceMatrix<T> x, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sw = Stopwatch.StartNew();
        int m = LandmarkCount(x.Rows);
        var indices = Nystrom.Sampling == LandmarkSampling.Uniform
            ? UniformSample(x.Rows, m, Options.Seed)
            : FarthestPointSampling.Sample(_device, x, m, Options.Seed);
        Array.Sort(indices);
        double chooseMs = sw.Elapsed.TotalMilliseconds;
        var landmarks = DeviceMatrix<T>.Allocate(_device, m, x.Cols);
        try
        {
            _device.Backend.GatherRows(x.All, indices, landmarks.All);
        }
        catch
        {
            landmarks.Dispose();
            throw;
        }
        double samplingMs = Lap(sw);
        Options.Log?.WriteLine($"nystrom: landmarks chosen in {chooseMs:F1} ms, gathered on the device in {samplingMs - chooseMs:F1} ms");
        FitLandmarks(indices, null, landmarks, x.Rows, x.Cols, samplingMs, scale);
    }

    /// <summary>Checks that x lives on this device, is not disposed and has a supported element type.</summary>
    private void CheckDeviceInput<T>(DeviceMatrix<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckType<T>();
        ObjectDisposedException.ThrowIf(x.IsDisposed, x);
        if (!ReferenceEquals(x.Device, _device))
            throw new ArgumentException($"x lives on {x.Device}; this NystromNcut runs on {_device}: upload it to the same ComputeDevice.", nameof(x));
    }

    /// <summary>Throws, naming the row and column, when device-resident x holds NaN or ±∞ (scanned on the device).</summary>
    private void CheckDeviceValues<T>(DeviceMatrix<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long bad = _device.Backend.FirstNonFinite(x.All);
        if (bad < 0)
            return;
        var value = new T[1];
        x.Storage.Download(value, bad);
        throw FeatureChecks.NonFinite(value[0], bad, x.Cols, nameof(x));
    }

    private static ReadOnlySpan<T> Span<T>(T[,] x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Length == 0)
            throw new ArgumentException($"x must be non-empty, got {x.GetLength(0)}×{x.GetLength(1)}.", nameof(x));
        return MemoryMarshal.CreateReadOnlySpan(ref x[0, 0], x.Length);
    }

    /// <summary>Validates x, forgets the previous fit and chooses the path (logged): true for Nyström, and x's feature scale.</summary>
    private (bool nystrom, FeatureScale scale) BeginFit<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckType<T>();
        var scale = FeatureChecks.ThrowIfBadEmbeddingInput(x, rows, cols, Options.EigenvectorCount);
        return (ChoosePath(rows), scale);
    }

    /// <summary>Drops the fit and what it keeps on the device.</summary>
    private void ForgetFit()
    {
        _fit = null;
        _propagator = null;
        DropResident();
    }

    /// <summary>Forgets the previous fit and chooses the path for n = rows (logged): true for Nyström.</summary>
    private bool ChoosePath(int rows)
    {
        ForgetFit();
        _landmarkNcut = null;
        Accuracy = null;
        bool nystrom = Nystrom.Path == EmbeddingPath.Nystrom || (Nystrom.Path == EmbeddingPath.Auto && rows > Nystrom.ExactThreshold);
        Path = nystrom ? EmbeddingPath.Nystrom : EmbeddingPath.Exact;
        string why = Nystrom.Path == EmbeddingPath.Auto ? $"auto: n {(nystrom ? ">" : "≤")} {Nystrom.ExactThreshold}" : "forced";
        Options.Log?.WriteLine(nystrom
            ? $"nystrom: n={rows}: Nyström path ({why}), {Propagation} propagation"
            : $"nystrom: n={rows}: exact path ({why})");
        return nystrom;
    }

    /// <summary>
    /// The exact path: <see cref="Ncut"/> on x (which scales the features itself); the fit keeps x as later transforms use it
    /// (x·2^−e for <paramref name="scale"/>) with σ in the same units.
    /// </summary>
    private T[,] FitExact<T>(ReadOnlySpan<T> x, int rows, int cols, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var ncut = new Ncut(_device, Options);
        var u = ncut.FitTransform(x, rows, cols);
        Report = ncut.Report;
        var t = ncut.Timings!;
        Timings = new NystromTimings(0, t.SigmaMs, t.TotalMs - t.SigmaMs, 0, 0);
        _fit = new Landmarks(rows, cols, Enumerable.Range(0, rows).ToArray(), scale.IsIdentity ? x.ToArray() : scale.Apply(x), Widen(Span(u)), null,
            ncut.Eigenvalues, scale.ToScaled(ncut.Sigma, Options.Affinity), Enumerable.Repeat(1.0, u.GetLength(1)).ToArray(), scale);
        return u;
    }

    /// <summary>The Nyström fit on host rows x (row-major, in the units of <paramref name="scale"/>): sampling, then <see cref="FitLandmarks"/>.</summary>
    private void FitNystrom<T>(ReadOnlySpan<T> x, int rows, int cols, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sw = Stopwatch.StartNew();
        var indices = SampleLandmarks(x, rows, cols);
        int m = indices.Length;
        // The landmark rows pass through a pooled buffer on their way to the device (σ reads them there first): a fresh
        // m×d array costs its first-touch page faults on every fit.
        if ((long)m * cols > Array.MaxLength)
            throw new ArgumentException($"The {m} landmark rows of {cols} columns hold {(long)m * cols} values, more than one host array can ({Array.MaxLength}); lower SampleCount.", "x");
        var features = ArrayPool<T>.Shared.Rent(m * cols);
        try
        {
            for (int r = 0; r < m; r++)
                x.Slice((int)((long)indices[r] * cols), cols).CopyTo(features.AsSpan(r * cols, cols));
            var landmarks = features.AsSpan(0, m * cols);
            FitLandmarks(indices, features, DeviceMatrix<T>.Upload(_device, landmarks, m, cols), rows, cols, Lap(sw), scale);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(features);
        }
    }

    /// <summary>
    /// The Nyström fit after sampling: σ, the landmark Ncut and the propagation's preparation. features: the landmarks' rows of x
    /// (m×d) on the device, owned from here on (kept as the resident fit); host: the same rows on the host in its first m×d
    /// elements when the input was there (null: σ reads its rows from the device); the fit keeps no host copy.
    /// </summary>
    private void FitLandmarks<T>(int[] indices, T[]? host, DeviceMatrix<T> features, int rows, int cols, double samplingMs, FeatureScale scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var resident = new Resident<T>(features, null, null);
        _resident = resident;
        int k = Options.EigenvectorCount, m = indices.Length;
        var log = Options.Log;
        var sw = Stopwatch.StartNew();
        double sigmaMs, landmarkMs, anchorsMs;
        try
        {
            log?.WriteLine($"nystrom: {m} landmarks of {rows} ({Nystrom.Sampling} sampling) in {samplingMs:F1} ms");
            // The cosine graph is built, as on the exact path, from rows scaled into max|x| ∈ [1, 2) (its norm floor relative to them).
            using var unit = CosineUnitRows(features, scale);
            double sigma = host is null ? LandmarkSigma(unit ?? features, unit is null ? scale : FeatureScale.For(scale, Options.Affinity))
                : LandmarkSigma<T>(host.AsSpan(0, m * cols), m, cols, scale);
            sigmaMs = Lap(sw);
            log?.WriteLine($"nystrom: landmark ncut m={m} d={cols} k={k} affinity={Options.Affinity} σ={scale.ToUser(sigma, Options.Affinity):G6}" +
                (scale.IsIdentity ? "" : $" (features scaled by 2^{-scale.Exponent}: max|x| = {scale.MaxAbs:G3})"));
            var (eigenvalues, degrees, subset) = LandmarkNcut(resident, unit ?? features, sigma, rows);
            landmarkMs = Lap(sw);
            var fit = new Landmarks(rows, cols, indices, null, null, degrees, eigenvalues, sigma, null, scale);
            _propagator = Prepare(fit, resident, subset);
            _fit = fit;
            anchorsMs = Lap(sw);
        }
        catch
        {
            // A failed fit leaves none behind, and frees what it had put on the device.
            ForgetFit();
            throw;
        }
        Timings = new NystromTimings(samplingMs, sigmaMs, landmarkMs, anchorsMs, 0);
        log?.WriteLine($"nystrom: {Timings}");
    }

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
        double tol = Options.EigenTolerance<T>();
        var (values, vectors, report) = BlockLanczos<T>.SolveOnDevice(_device, w, k, tol, Options.Seed, Options.MaxBlockProducts, log is null ? null : log.WriteLine);
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

    /// <summary>
    /// Chooses what the propagation needs from the fitted landmarks (see <see cref="NystromPropagation"/>) and leaves its anchors
    /// and values on the device (<see cref="Resident{T}.SetPropagation"/>). <paramref name="subset"/> (owned from here on): what
    /// the classic extension's least-squares subset fit needs, when the fit computed it.
    /// </summary>
    private Propagator Prepare<T>(Landmarks fit, Resident<T> resident, SubsetInputs<T>? subset = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = fit.Indices.Length, d = fit.Cols, k = fit.Eigenvalues.Length;
        var log = Options.Log;
        var be = _device.Backend;
        if (Propagation == NystromPropagation.Classic)
            return PrepareClassic(fit, resident, subset);
        subset?.Dispose();
        var sw = Stopwatch.StartNew();
        var hostVectors = fit.Vectors ?? resident.DownloadVectors();
        var rows = AnchorRows<T>(hostVectors, m, k);
        double walkMs = Lap(sw);
        int a = rows.Length;
        var anchorMatrix = DeviceMatrix<T>.Allocate(_device, a, d);
        DeviceMatrix<T>? anchorValues = null;
        try
        {
            be.GatherRows(resident.Features.All, rows, anchorMatrix.All);
            var anchorRows = new T[anchorMatrix.Length];
            anchorMatrix.Download(anchorRows);
            anchorValues = DeviceMatrix<T>.Upload(_device, Narrow<T>((double[])GatherRows(hostVectors, k, rows)), a, k);
            double copyMs = Lap(sw);
            double sigmaP = PropagationSigmaOf(As<double>(anchorRows), a, d);
            double sigmaMs = Lap(sw);
            int neighbours = NeighbourCount(a);
            double[]? anchorDegrees = null;
            if (Propagation == NystromPropagation.NcutPytorch)
            {
                anchorDegrees = Ops.NystromOps.LandmarkDegrees(_device, anchorMatrix, sigmaP, AffinityKind.Rbf);
                for (int j = 0; j < a; j++)
                    anchorDegrees[j] /= a;
            }
            log?.WriteLine($"nystrom: {a} anchors (farthest points in eigenvector space), σp={sigmaP:G6}, {neighbours} neighbours, {Propagation} weights " +
                $"(walk {walkMs:F1} ms, gather {copyMs:F1} ms, σp {sigmaMs:F1} ms, degrees {Lap(sw):F1} ms)");
            resident.SetPropagation(anchorMatrix, anchorValues);
            return new Propagator(rows, anchorDegrees, sigmaP, neighbours, false, double.NaN);
        }
        catch
        {
            anchorMatrix.Dispose();
            anchorValues?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The landmark eigenvectors on the device (k×m) and their column signs: the solver's, kept since the fit, or uploaded
    /// from the host copy (signs applied already) and kept from then on.
    /// </summary>
    private (DeviceMatrix<T> vectors, double[] signs) DeviceVectors<T>(Landmarks fit, Resident<T> resident) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (resident.Vectors is { } kept)
            return (kept, resident.Signs!);
        int m = fit.Indices.Length, k = fit.Eigenvalues.Length;
        var host = fit.Vectors!;
        var rows = new T[(long)k * m];
        for (int j = 0; j < m; j++)
            for (int c = 0; c < k; c++)
                rows[(long)c * m + j] = T.CreateTruncating(host[(long)j * k + c]);
        resident.SetVectors(DeviceMatrix<T>.Upload(_device, rows, k, m), Enumerable.Repeat(1.0, k).ToArray());
        return (resident.Vectors!, resident.Signs!);
    }

    /// <summary>Mixed into the seed for the classic extension's subset, so that it is not drawn by the same stream as the landmarks.</summary>
    private const int ClassicSeedSalt = 0x51ED2705;

    /// <summary>The rows <paramref name="rows"/> of a row-major matrix with <paramref name="cols"/> columns (same element type).</summary>
    private static Array GatherRows(Array matrix, int cols, int[] rows)
    {
        var result = Array.CreateInstance(matrix.GetType().GetElementType()!, (long)rows.Length * cols);
        for (int r = 0; r < rows.Length; r++)
            Array.Copy(matrix, (long)rows[r] * cols, result, (long)r * cols, cols);
        return result;
    }

    /// <summary>The anchors' positions among the m landmarks, ascending: farthest points in eigenvector space (<paramref name="vectors"/> m×k; constant: no gradient).</summary>
    private int[] AnchorRows<T>(double[] vectors, int m, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = FarthestPointSampling.Sample<T>(_device, Narrow<T>(vectors), m, k, Math.Min(Nystrom.AnchorCount, m), Options.Seed);
        Array.Sort(rows);
        return rows;
    }

    /// <summary>σp: the degree rule on the anchors' features (a×d, float64) × <see cref="NystromOptions.ExtrapolationFactor"/>.</summary>
    private double PropagationSigmaOf(double[] anchors, int a, int d) =>
        SigmaSelection.ByDegreeQuantile<double>(anchors, a, d, AffinityKind.Rbf, NcutOptions.DefaultQuantile, Options.Seed, _device) * Nystrom.ExtrapolationFactor;

    /// <summary>Anchors per point for a anchors: max(4, ⌊min(Neighbours, a·NeighboursMaxRatio)⌋), at most a.</summary>
    private int NeighbourCount(int a) => Math.Min(a, Math.Max(4, (int)Math.Min(Nystrom.Neighbours, a * Nystrom.NeighboursMaxRatio)));

    /// <summary>The classic extension divides by λ; eigenvalues below this are floored (a vanishing λ carries no signal to extend).</summary>
    private const double ClassicEigenvalueFloor = Ops.NystromOps.EigenvalueFloor;

    private void CheckType<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _device.ThrowIfDisposed();
        _device.ThrowIfUnsupported<T>(nameof(NystromNcut));
    }

    private static double[] Widen<T>(ReadOnlySpan<T> a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
            r[i] = double.CreateTruncating(a[i]);
        return r;
    }

    /// <summary>Device-resident input: the classic extension's sums cover at least this many rows per pass (each pass prepares the anchors and synchronizes).</summary>
    private const int DeviceClassicChunk = 1 << 18;

    private static T[] Narrow<T>(double[] a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a is T[] same)
            return same;
        var r = new T[a.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = T.CreateTruncating(a[i]);
        return r;
    }

    /// <summary>Features kept in the fit's element type (float[] or double[]) as T[]: the array itself when the types match, else converted.</summary>
    private static T[] As<T>(Array a) where T : unmanaged, IFloatingPointIeee754<T> => a switch
    {
        T[] same => same,
        double[] wide => Narrow<T>(wide),
        float[] narrow => Array.ConvertAll(narrow, T.CreateTruncating),
        _ => throw new InvalidOperationException($"Unexpected feature array {a.GetType()}."),
    };

    private static double Lap(Stopwatch sw)
    {
        double ms = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        return ms;
    }

    /// <summary>
    /// What a fit keeps on the host (row-major): the fitted points n, the landmarks' rows of x, their features (m×d, in the input's
    /// element type: float[] or double[] — no float64 copy of 10⁷ values; float64 after a differentiable fit, the tape's host copy;
    /// null on the Nyström path, where only the device holds them: <see cref="Resident{T}"/>), eigenvectors (m×k, float64, signs
    /// applied; null on the Nyström path, likewise), graph degrees (null on the exact path), eigenvalues, σ (float64), and the
    /// sign of each output column, decided from the fit's own output rows (null until then).
    /// </summary>
    private sealed record Landmarks(int Points, int Cols, int[] Indices, Array? Features, double[]? Vectors, double[]? Degrees, double[] Eigenvalues, double Sigma,
        double[]? OutputSigns = null, FeatureScale Scale = default);

    /// <summary>
    /// The propagation's settings: anchor positions among the landmarks, anchor degrees (null: renormalized; all ones for the
    /// classic extension), bandwidth, neighbour count (every anchor for the classic extension), and the classic extension's
    /// residual over the landmarks (0 over every landmark; NaN for the nearest-anchor propagations). Its anchors and values
    /// live on the device (<see cref="Resident{T}"/>).
    /// </summary>
    private sealed record Propagator(int[] Rows, double[]? Degrees, double Sigma, int Neighbours, bool Classic, double Residual);
}
