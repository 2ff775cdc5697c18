// SpectralClustering: C-way Normalized Cut clustering as one estimator — a NystromNcut embedding (exact or Nyström) and a KwayNcut rotation; fit, labels, scores and predictions of new rows.
using System.Numerics;
using NcutKernels.Runtime;

namespace NcutKernels.Spectral;

/// <summary>
/// Spectral clustering by Normalized Cut into C clusters: <see cref="Fit{T}(T[,])"/> embeds the n×d features with a
/// <see cref="NystromNcut"/> (exact up to <see cref="NystromOptions.ExactThreshold"/> points, Nyström landmarks above, as
/// <c>ncut embed</c>), fits a <see cref="KwayNcut"/> rotation R on the n×k embedding U (axis alignment or spherical k-means)
/// and labels each row by the argmax of its scores U·R. <see cref="Transform{T}(T[,])"/> scores any rows with the fitted
/// embedding's out-of-sample extension and the fitted R; <see cref="Predict{T}(T[,])"/> labels them.
/// </summary>
/// <remarks>
/// Preconditions, each checked with an <see cref="ArgumentException"/>-family error naming the parameter and the value:
/// 2 ≤ C ≤ k (the embedding's eigenvector count); the <see cref="SpectralClusteringOptions"/> valid (their own checks);
/// at fit time n ≥ C and k &lt; n, d ≥ 1, x finite and holding rows × cols values; at transform time the fitted d and finite
/// rows. Float32 runs on every device, float64 on <see cref="DeviceKind.Cpu"/> only (the embedding's rule).
/// <para>
/// <see cref="Labels"/> are those of the fit's own embedding; <see cref="Predict{T}(T[,])"/> of the fitted rows re-embeds them
/// through the out-of-sample extension. On the Nyström path the fit's embedding is that same extension, so the two agree
/// exactly. On the exact path the extension is the fit's <see cref="NystromNcut.Propagation"/>: the classic Nyström formula
/// over every point (the RBF default) reproduces the exact eigenvectors up to rounding, so the labels agree except for a row
/// whose two best scores are equal to within that rounding; the nearest-anchor propagations (the cosine default) average
/// neighbouring rows, which smooths the embedding, so rows near a cluster boundary may be predicted in the neighbouring cluster.
/// </para>
/// <para>
/// Determinism: the same data, options and device give bit-identical labels and scores. An instance is not thread-safe.
/// It owns its embedding's device memory: dispose it (the fitted <see cref="Labels"/> stay readable).
/// </para>
/// </remarks>
public sealed class SpectralClustering : IDisposable
{
    private readonly NystromNcut _embedding;
    private readonly KwayNcut _kway;
    private int[]? _labels;
    private bool _disposed;

    /// <summary>
    /// A clustering into <paramref name="clusters"/> clusters on <paramref name="device"/> with <paramref name="options"/>
    /// (defaults when null or for each null member: see <see cref="SpectralClusteringOptions"/>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> is null.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="device"/> is disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clusters"/> is below 2 or above the embedding's eigenvector count, or an option is out of its range.</exception>
    /// <exception cref="ArgumentException">The k-way settings disagree with <paramref name="clusters"/> or the eigenvector count, or an option is invalid.</exception>
    public SpectralClustering(ComputeDevice device, int clusters, SpectralClusteringOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.ThrowIfDisposed();
        if (clusters < 2)
            throw new ArgumentOutOfRangeException(nameof(clusters), clusters, "clusters must be at least 2.");
        var ncut = options?.Ncut ?? new NcutOptions { EigenvectorCount = clusters };
        int k = ncut.EigenvectorCount;
        if (clusters > k)
            throw new ArgumentOutOfRangeException(nameof(clusters), clusters,
                $"clusters must be at most the embedding's eigenvector count, options.Ncut.EigenvectorCount = {k}.");
        var kway = options?.Kway ?? new KwayOptions { ClusterCount = clusters, Seed = ncut.Seed };
        if (kway.ClusterCount != clusters)
            throw new ArgumentException($"options.Kway.ClusterCount is {kway.ClusterCount}, but clusters is {clusters}: they must agree.", nameof(options));
        if (kway.EigenvectorCount is { } used && used > k)
            throw new ArgumentOutOfRangeException(nameof(options), used,
                $"options.Kway.EigenvectorCount must be at most options.Ncut.EigenvectorCount = {k}.");
        _kway = new KwayNcut(kway);
        _embedding = new NystromNcut(device, ncut, options?.Nystrom);
        Clusters = clusters;
        Options = new SpectralClusteringOptions { Ncut = ncut, Nystrom = _embedding.Nystrom, Kway = kway };
    }

    /// <summary>The number of clusters C.</summary>
    public int Clusters { get; }

    /// <summary>The settings in use, every default filled in.</summary>
    public SpectralClusteringOptions Options { get; }

    /// <summary>
    /// The embedding this clustering fits (owned: disposed with it): read its path, eigenvalues, σ, landmarks, report and
    /// timings after a fit. Fit through this <see cref="SpectralClustering"/>, not through the embedding, or the labels and the
    /// rotation no longer belong to its fit.
    /// </summary>
    public NystromNcut Embedding => _embedding;

    /// <summary>The k-way discretization this clustering fits: after a fit, its rotation R, iterations and convergence.</summary>
    public KwayNcut Kway => _kway;

    /// <summary>True once a fit has succeeded (a failed fit leaves none).</summary>
    public bool IsFitted => _labels is not null;

    /// <summary>The cluster of each fitted row, in 0..C−1 (a copy; a cluster may be empty).</summary>
    /// <exception cref="InvalidOperationException">Not fitted.</exception>
    public int[] Labels => (int[])Fitted().Clone();

    /// <summary>Fits on <paramref name="x"/> (n×d, float32, or float64 on the CPU backend) and returns this; <see cref="Labels"/> holds the clusters.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="x"/> is null.</exception>
    /// <exception cref="ArgumentException">x is empty, has fewer than C or not more than k rows, or holds NaN/±∞ (the message names the row and column).</exception>
    /// <exception cref="ObjectDisposedException">This instance is disposed.</exception>
    public SpectralClustering Fit<T>(T[,] x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        FitTransform(x);
        return this;
    }

    /// <summary>As <see cref="Fit{T}(T[,])"/> for x given row-major with <paramref name="rows"/> × <paramref name="cols"/> elements.</summary>
    /// <exception cref="ArgumentException">x does not hold rows × cols values, rows &lt; C or rows ≤ k, cols &lt; 1, or x holds NaN/±∞.</exception>
    /// <exception cref="ObjectDisposedException">This instance is disposed.</exception>
    public SpectralClustering Fit<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        FitTransform(x, rows, cols);
        return this;
    }

    /// <summary>Fits on <paramref name="x"/> as <see cref="Fit{T}(T[,])"/> and returns the fitted rows' k-way scores U·R (n×C): <see cref="Labels"/> is each row's argmax.</summary>
    /// <inheritdoc cref="Fit{T}(T[,])" path="/exception"/>
    public T[,] FitTransform<T>(T[,] x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        BeginFit(x.GetLength(0), nameof(x));
        return Discretize(_embedding.FitTransform(x));
    }

    /// <summary>As <see cref="FitTransform{T}(T[,])"/> for x given row-major with <paramref name="rows"/> × <paramref name="cols"/> elements.</summary>
    /// <inheritdoc cref="Fit{T}(ReadOnlySpan{T}, int, int)" path="/exception"/>
    public T[,] FitTransform<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        BeginFit(rows, nameof(rows));
        return Discretize(_embedding.FitTransform(x, rows, cols));
    }

    /// <summary>
    /// The k-way scores U·R (n×C, computed in float64, returned as <typeparamref name="T"/>) of any rows <paramref name="x"/>
    /// (n×d, the fitted d): their out-of-sample embedding (<see cref="NystromNcut.Transform{T}(T[,])"/>) times the fitted R.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="x"/> is null.</exception>
    /// <exception cref="ArgumentException">x is empty, has another column count than the fit's, or holds NaN/±∞.</exception>
    /// <exception cref="InvalidOperationException">Not fitted.</exception>
    /// <exception cref="ObjectDisposedException">This instance is disposed.</exception>
    public T[,] Transform<T>(T[,] x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        BeginTransform();
        return _kway.Transform(_embedding.Transform(x));
    }

    /// <summary>As <see cref="Transform{T}(T[,])"/> for x given row-major with <paramref name="rows"/> × <paramref name="cols"/> elements.</summary>
    /// <inheritdoc cref="Transform{T}(T[,])" path="/exception"/>
    public T[,] Transform<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        BeginTransform();
        return _kway.Transform(_embedding.Transform(x, rows, cols));
    }

    /// <summary>The clusters (0..C−1) of any rows <paramref name="x"/>: the argmax of their <see cref="Transform{T}(T[,])"/> scores (ties to the lower cluster).</summary>
    /// <inheritdoc cref="Transform{T}(T[,])" path="/exception"/>
    public int[] Predict<T>(T[,] x) where T : unmanaged, IFloatingPointIeee754<T> => KwayNcut.Labels(Transform(x));

    /// <summary>As <see cref="Predict{T}(T[,])"/> for x given row-major with <paramref name="rows"/> × <paramref name="cols"/> elements.</summary>
    /// <inheritdoc cref="Transform{T}(T[,])" path="/exception"/>
    public int[] Predict<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged, IFloatingPointIeee754<T> =>
        KwayNcut.Labels(Transform(x, rows, cols));

    /// <summary>Frees the embedding's device memory. Fits and transforms then throw <see cref="ObjectDisposedException"/>; <see cref="Labels"/> stays readable.</summary>
    public void Dispose()
    {
        _embedding.Dispose();
        _disposed = true;
    }

    /// <summary>Refuses a fit on a disposed instance or on fewer rows than clusters (naming <paramref name="paramName"/>), and forgets the previous fit.</summary>
    private void BeginFit(int rows, string paramName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rows < Clusters)
            throw new ArgumentOutOfRangeException(paramName, rows, $"x has {rows} rows, fewer than the {Clusters} clusters.");
        _labels = null;
    }

    private void BeginTransform()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Fitted();
    }

    /// <summary>Fits R on the fit's embedding <paramref name="u"/> (n×k), keeps the labels and returns the scores U·R.</summary>
    private T[,] Discretize<T>(T[,] u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        _kway.Fit(u);
        _embedding.Options.Log?.WriteLine(
            $"clustering: {Clusters}-way {_kway.Options.Method}: {_kway.Iterations} iterations{(_kway.Converged ? "" : ", stopped at the iteration cap")}");
        if (!_kway.Converged)
            _embedding.Options.Warn(new NcutWarning("k-way rotation",
                $"{_kway.Options.Method} stopped at its iteration cap ({_kway.Iterations} iterations) before converging; the labels may change with more iterations",
                "raise KwayOptions.MaxIterations"));
        var scores = _kway.Transform(u);
        _labels = KwayNcut.Labels(scores);
        return scores;
    }

    private int[] Fitted() => _labels ?? throw new InvalidOperationException("The clustering is not fitted: call Fit first.");
}
