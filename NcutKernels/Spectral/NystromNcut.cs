// NystromNcut: Nyström Normalized Cut: exact Ncut on sampled landmarks, then the eigenvectors propagated to every point on the device.
using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using NcutKernels.Backends;
using NcutKernels.Core;
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
/// converts a copy for that call: dispose the NystromNcut to free that memory (a new fit frees the previous one's).
/// <see cref="Save(string)"/> writes the fit to a versioned file that <see cref="Load(ComputeDevice, string, TextWriter?)"/> reads in
/// another process, on any device, for the same transforms. An instance is not thread-safe: fits and transforms change its state.
/// </remarks>
public sealed partial class NystromNcut
{
    private readonly ComputeDevice _device;
    private NystromFit? _fit;
    private readonly PropagationMethod _method;
    private PropagationPlan? _propagator;

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
        _method = PropagationMethod.For(Propagation, device, Options, Nystrom);
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

    /// <summary>Columns d of the fitted features (0 before a fit): every transform takes rows of this many columns.</summary>
    public int Columns => _fit?.Cols ?? 0;

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

    /// <summary>
    /// The largest relative residual, over the landmarks, of the least-squares subset extension in use
    /// (<see cref="NystromOptions.ClassicLandmarks"/>): 0 when the classic extension sums over every landmark (it reproduces the
    /// landmark embedding exactly), NaN for the nearest-anchor propagations and before the propagation is prepared.
    /// </summary>
    public double SubsetResidual => _propagator?.Residual ?? double.NaN;

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
        var indices = LandmarkSampler.Sample(_device, x, Options, Nystrom);
        int m = indices.Length;
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
        double samplingMs = sw.Lap();
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
        throw FiniteScan.NonFinite(value[0], bad, x.Cols, nameof(x));
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
        _fit = new NystromFit(rows, cols, Enumerable.Range(0, rows).ToArray(), scale.IsIdentity ? x.ToArray() : scale.Apply(x), HostArrays.Widen(Span(u)), null,
            ncut.Eigenvalues, scale.ToScaled(ncut.Sigma, Options.Affinity), Enumerable.Repeat(1.0, u.GetLength(1)).ToArray(), scale);
        return u;
    }

    /// <summary>The Nyström fit on host rows x (row-major, in the units of <paramref name="scale"/>): sampling, then <see cref="FitLandmarks"/>.</summary>
    private void FitNystrom<T>(ReadOnlySpan<T> x, int rows, int cols, FeatureScale scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sw = Stopwatch.StartNew();
        var indices = LandmarkSampler.Sample(_device, x, rows, cols, Options, Nystrom);
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
            FitLandmarks(indices, features, DeviceMatrix<T>.Upload(_device, landmarks, m, cols), rows, cols, sw.Lap(), scale);
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
        var resident = new NystromResident<T>(features, null, null);
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
            sigmaMs = sw.Lap();
            log?.WriteLine($"nystrom: landmark ncut m={m} d={cols} k={k} affinity={Options.Affinity} σ={scale.ToUser(sigma, Options.Affinity):G6}" +
                (scale.IsIdentity ? "" : $" (features scaled by 2^{-scale.Exponent}: max|x| = {scale.MaxAbs:G3})"));
            var (eigenvalues, degrees, capture) = LandmarkNcut(resident, unit ?? features, sigma, rows);
            landmarkMs = sw.Lap();
            var fit = new NystromFit(rows, cols, indices, null, null, degrees, eigenvalues, sigma, null, scale);
            _propagator = _method.Prepare(fit, resident, capture);
            _fit = fit;
            anchorsMs = sw.Lap();
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

    private void CheckType<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _device.ThrowIfDisposed();
        _device.ThrowIfUnsupported<T>(nameof(NystromNcut));
    }

}
