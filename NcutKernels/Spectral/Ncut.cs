// Ncut: exact Normalized Cut spectral embedding: affinity → normalization → top-k eigenvectors (block Lanczos).
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Solvers;

namespace NcutKernels.Spectral;

/// <summary>
/// Normalized Cut spectral embedding on a <see cref="ComputeDevice"/>, exact path (every point in the
/// graph, no sampling): W = affinity(X), M = D^-1/2·W·D^-1/2 (+ a tiny diagonal shift), and the top-k
/// eigenpairs of M. Sign convention: every eigenvector column is flipped so that its sum is ≥ 0
/// (as ncut_pytorch does).
/// </summary>
public sealed class Ncut
{
    private readonly ComputeDevice _device;

    /// <summary>Creates an embedding with <paramref name="options"/> (defaults when null).</summary>
    public Ncut(ComputeDevice device, NcutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        _device = device;
        Options = options ?? new NcutOptions();
        Options.Validate();
    }

    /// <summary>The settings.</summary>
    public NcutOptions Options { get; }

    /// <summary>The device the embedding runs on.</summary>
    public ComputeDevice Device => _device;

    /// <summary>Eigenvalues of D^-1/2·W·D^-1/2 from the last fit, descending (λ1 = 1 for a connected graph).</summary>
    public double[] Eigenvalues { get; private set; } = [];

    /// <summary>σ used by the last fit (given or chosen), in the features' units (see <see cref="NcutOptions.Sigma"/>).</summary>
    public double Sigma { get; private set; } = double.NaN;

    /// <summary>Diagnostics of the last eigen-solve.</summary>
    public LanczosReport? Report { get; private set; }

    /// <summary>
    /// Stage timings of the last fit; null after a differentiable fit (<see cref="FitTransform{T}(Autodiff.Variable{T})"/>), whose
    /// stages run on the tape (the backward's phases are in <see cref="GradientReport"/>'s timings).
    /// </summary>
    public NcutTimings? Timings { get; private set; }

    private Ops.SpectralOps.TopKSaved? _lastTopK;
    private double[,]? _lastEigenvectors;
    private readonly Dictionary<int, KwayNcut> _kway = [];

    /// <summary>Diagnostics of the last backward pass through a differentiable fit (null before one ran).</summary>
    public EigenGradientReport? GradientReport => _lastTopK?.Report;

    /// <summary>The reports of the last batched backward (<see cref="Autodiff.Tape{T}.Gradients"/>) by loss index; null before one ran.</summary>
    internal IReadOnlyDictionary<int, EigenGradientReport>? BatchGradientReports => _lastTopK?.BatchReports;

    /// <summary>
    /// Differentiable embedding: records affinity → normalization → top-k eigenpairs on <paramref name="x"/>'s tape
    /// (σ is chosen without gradient, as ncut_pytorch does) and returns the n×k eigenvectors and the 1×k eigenvalues
    /// as variables. After <c>tape.Backward(loss)</c>, <c>x.Gradient</c> holds dLoss/dX; the eigen backward needs no
    /// full spectrum (see <see cref="GradientReport"/>). On an ILGPU device the affinity/normalization backward runs as
    /// kernels (float32) and the block CG multiplies on the device; the small k-wide CG algebra runs on the host in float64.
    /// </summary>
    public (Autodiff.Variable<T> eigenvectors, Autodiff.Variable<T> eigenvalues) FitTransform<T>(Autodiff.Variable<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        var tape = x.Tape;
        tape.Check(x, nameof(x));
        if (tape.Device != _device)
            throw new ArgumentException("x lives on another device than this Ncut.", nameof(x));
        var host = x.ToArray();
        int rows = x.Rows, cols = x.Cols;
        var span = MemoryMarshal.CreateReadOnlySpan(ref host[0, 0], host.Length);
        var scale = FeatureScale.For(FeatureChecks.ThrowIfBadEmbeddingInput<T>(span, rows, cols, Options.EigenvectorCount), Options.Affinity);
        var scaledHost = scale.IsIdentity ? null : scale.Apply(span);
        double sigma = Options.ScaledSigmaFor<T>(scaledHost is null ? span : scaledHost, rows, cols, _device, scale);
        Sigma = scale.ToUser(sigma, Options.Affinity);
        var xs = ScaledOnTape(tape, x, scale);
        var (lanczos, backward) = (Options.Lanczos<T>(), Options.EigenBackward<T>());
        var log = Options.Log;
        Action<string>? progress = log is null ? null : log.WriteLine;
        var (u, lambda, saved, report) = Ops.SpectralOps.Embedding(tape, xs, Options.Affinity, sigma, lanczos, backward, progress);
        Report = report;
        Timings = null;
        log?.WriteLine($"ncut: eigen-solve {report} (recorded)");
        WarnIfUnresolved<T>(report);
        saved.Reported = gradient =>
        {
            if (Reliability.OfGradient(gradient, typeof(T) == typeof(float)) is { } unreliable)
                Options.Warn(unreliable);
        };
        _lastTopK = saved;
        var eigenvalues = ThrowIfNotFinite(lambda.Host.ToArray(), "eigenvalue");
        _lastEigenvectors = ThrowIfNotFinite(ToDouble(u.ToArray()));
        Eigenvalues = eigenvalues;
        _kway.Clear();
        return (u, lambda);
    }

    /// <summary>
    /// Warns when the eigen-solve's eigenvectors are not determined (<see cref="Reliability.OfEigenSolve"/>); a strict refusal
    /// forgets the whole fit first, so that nothing of it — nor of the previous fit — stays readable.
    /// </summary>
    private void WarnIfUnresolved<T>(LanczosReport report) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Reliability.OfEigenSolve("eigen-solve", report, typeof(T) == typeof(float)) is not { } warning)
            return;
        try
        {
            Options.Warn(warning);
        }
        catch (NcutReliabilityException)
        {
            Eigenvalues = [];
            Sigma = double.NaN;
            Report = null;
            Timings = null;
            _lastTopK = null;
            _lastEigenvectors = null;
            _kway.Clear();
            throw;
        }
    }

    /// <summary>
    /// x on the tape as the affinity sees it: x itself, or x·2^−e recorded as exact scale operations (each factor a power of two
    /// within float64's range, so the gradient comes back multiplied by 2^−e exactly).
    /// </summary>
    internal static Autodiff.Variable<T> ScaledOnTape<T>(Autodiff.Tape<T> tape, Autodiff.Variable<T> x, FeatureScale scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int left = -scale.Exponent; left != 0;)
        {
            int step = Math.Clamp(left, -MaxScaleStep, MaxScaleStep);
            x = Ops.TapeOps.Scale(tape, x, Math.ScaleB(1.0, step));
            left -= step;
        }
        return x;
    }

    /// <summary>The largest |e| of one recorded 2^e factor (2^±1000 is a normal float64).</summary>
    private const int MaxScaleStep = 1000;

    /// <summary>Embeds the rows of <paramref name="x"/> (n×d): returns the n×k eigenvectors.</summary>
    public T[,] FitTransform<T>(T[,] x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.GetLength(0), d = x.GetLength(1);
        if (x.Length == 0)
            throw new ArgumentException($"x must be non-empty, got {n}×{d}.", nameof(x));
        return FitTransform(MemoryMarshal.CreateReadOnlySpan(ref x[0, 0], x.Length), n, d);
    }

    /// <summary>Embeds <paramref name="x"/> given row-major with <paramref name="rows"/> × <paramref name="cols"/> elements: returns the n×k eigenvectors.</summary>
    public T[,] FitTransform<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        _device.ThrowIfDisposed();
        _device.ThrowIfUnsupported<T>(nameof(Ncut));
        var scale = FeatureScale.For(FeatureChecks.ThrowIfBadEmbeddingInput(x, rows, cols, Options.EigenvectorCount), Options.Affinity);
        int k = Options.EigenvectorCount;
        var log = Options.Log;
        var sw = Stopwatch.StartNew();

        var scaledHost = scale.IsIdentity ? null : scale.Apply(x);
        var features = scaledHost is null ? x : scaledHost;
        double sigma = Options.ScaledSigmaFor(features, rows, cols, _device, scale);
        Sigma = scale.ToUser(sigma, Options.Affinity);
        double sigmaMs = sw.Lap();
        log?.WriteLine($"ncut: n={rows} d={cols} k={k} affinity={Options.Affinity} σ={Sigma:G6}" +
            (scale.IsIdentity ? "" : $" (features scaled by 2^{-scale.Exponent}: max|x| = {scale.MaxAbs:G3})"));

        using var xm = DeviceMatrix<T>.Upload(_device, features, rows, cols);
        double uploadMs = sw.Lap();
        using var graph = NormalizedGraph<T>.Build(_device, Options, xm.All, sigma);
        _device.Backend.Synchronize();
        double affinityMs = sw.Lap();
        graph.Normalize();
        _device.Backend.Synchronize();
        double normalizeMs = sw.Lap();

        var (values, vectors, report) = graph.Solve(log is null ? null : log.WriteLine);
        double eigenMs = sw.Lap();
        Report = report;
        log?.WriteLine($"ncut: eigen-solve {report}");
        WarnIfUnresolved<T>(report);

        var eigenvalues = ThrowIfNotFinite(values, "eigenvalue");
        var result = EigenColumns.Of(vectors, rows, k);
        _lastEigenvectors = ThrowIfNotFinite(ToDouble(result));
        Eigenvalues = eigenvalues;
        _kway.Clear();
        Timings = new NcutTimings(sigmaMs, uploadMs, affinityMs, normalizeMs, eigenMs, sw.Lap());
        log?.WriteLine($"ncut: {Timings}");
        return result;
    }

    /// <summary>
    /// Fits a k-way rotation on the eigenvectors of the last fit (ncut_pytorch's <c>kway_fit</c>: spherical k-means
    /// by default) and keeps it for <see cref="KwayTransform{T}(T[,], int)"/> under its cluster count. A new fit discards the
    /// rotations (they belong to the previous embedding's basis).
    /// </summary>
    /// <exception cref="InvalidOperationException">No fit has run yet.</exception>
    public KwayNcut KwayFit(int clusters, KwayMethod method = KwayMethod.SphericalKMeans) =>
        KwayFit(new KwayOptions { ClusterCount = clusters, Method = method, Seed = Options.Seed });

    /// <summary>As <see cref="KwayFit(int, KwayMethod)"/> with every k-way setting given.</summary>
    public KwayNcut KwayFit(KwayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var u = _lastEigenvectors ?? throw new InvalidOperationException("KwayFit needs eigenvectors: call FitTransform first.");
        var kway = new KwayNcut(options);
        kway.Fit(u);
        _kway[options.ClusterCount] = kway;
        return kway;
    }

    /// <summary>k-way scores U·R of <paramref name="eigenvectors"/> with the rotation fitted for <paramref name="clusters"/> (fit once, apply many).</summary>
    /// <exception cref="InvalidOperationException">No rotation was fitted for that cluster count.</exception>
    public T[,] KwayTransform<T>(T[,] eigenvectors, int clusters) where T : unmanaged, IFloatingPointIeee754<T> =>
        FittedKway(clusters).Transform(eigenvectors);

    /// <summary>Differentiable k-way scores U·R (R constant) on <paramref name="eigenvectors"/>' tape.</summary>
    /// <exception cref="InvalidOperationException">No rotation was fitted for that cluster count.</exception>
    public Autodiff.Variable<T> KwayTransform<T>(Autodiff.Variable<T> eigenvectors, int clusters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(eigenvectors);
        return FittedKway(clusters).Transform(eigenvectors.Tape, eigenvectors);
    }

    private KwayNcut FittedKway(int clusters) => _kway.TryGetValue(clusters, out var kway)
        ? kway
        : throw new InvalidOperationException($"No k-way rotation fitted for {clusters} clusters: call KwayFit({clusters}) first" +
            (_kway.Count == 0 ? "." : $" (fitted: {string.Join(", ", _kway.Keys.Order())})."));

    /// <summary>The values, after an <see cref="ArithmeticException"/> naming the first non-finite one (the guard on every fit's output).</summary>
    internal static double[] ThrowIfNotFinite(double[] values, string what)
    {
        int bad = Array.FindIndex(values, v => !double.IsFinite(v));
        if (bad >= 0)
            throw new ArithmeticException($"Ncut produced a non-finite {what} {values[bad]} at index {bad}; the result is not returned.");
        return values;
    }

    /// <summary>The eigenvectors (n×k), after an <see cref="ArithmeticException"/> naming the first non-finite entry.</summary>
    private static double[,] ThrowIfNotFinite(double[,] u)
    {
        long bad = FiniteScan.FirstNonFinite(MemoryMarshal.CreateReadOnlySpan(ref u[0, 0], u.Length));
        if (bad >= 0)
            throw new ArithmeticException($"Ncut produced a non-finite eigenvector entry {u[bad / u.GetLength(1), bad % u.GetLength(1)]} " +
                $"at row {bad / u.GetLength(1)}, vector {bad % u.GetLength(1)}; the result is not returned.");
        return u;
    }

    /// <summary>The matrix widened to float64.</summary>
    internal static double[,] ToDouble<T>(T[,] a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new double[a.GetLength(0), a.GetLength(1)];
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++)
                r[i, j] = double.CreateChecked(a[i, j]);
        return r;
    }

}
