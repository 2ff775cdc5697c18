// KwayOptions: the settings of a k-way discretization, validated in one place.
namespace NcutKernels.Spectral;

/// <summary>Settings of <see cref="KwayNcut"/>. Validated when the <see cref="KwayNcut"/> is constructed.</summary>
public sealed record KwayOptions
{
    /// <summary>The ncut_pytorch row-sample size for fitting the rotation, used by <see cref="SampleSize"/>'s default.</summary>
    public const int DefaultSampleSize = 10240;

    /// <summary>ncut_pytorch's convergence threshold on the change of the axis-alignment objective: float32's machine epsilon, 2⁻²³.</summary>
    public const double DefaultTolerance = 1.1920928955078125e-7;

    /// <summary>Number of clusters k (≥ 2). Default 10.</summary>
    public int ClusterCount { get; init; } = 10;

    /// <summary>How the rotation is fitted. Default <see cref="KwayMethod.AxisAlign"/>.</summary>
    public KwayMethod Method { get; init; } = KwayMethod.AxisAlign;

    /// <summary>
    /// How many leading eigenvector columns are used (≥ 2; ncut_pytorch's <c>n_eig</c>). Null means k for
    /// <see cref="KwayMethod.AxisAlign"/> (which needs exactly k) and every column for
    /// <see cref="KwayMethod.SphericalKMeans"/> (which may use fewer or more columns than clusters).
    /// </summary>
    public int? EigenvectorCount { get; init; }

    /// <summary>Seed of the row sample; only used when there are more rows than <see cref="SampleSize"/>. Same seed → identical rotation.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Iteration cap (≥ 1). Null means ncut_pytorch's defaults: 1000 rotation updates for
    /// <see cref="KwayMethod.AxisAlign"/>, 300 k-means iterations (Ncut.kway_fit's) for <see cref="KwayMethod.SphericalKMeans"/>.
    /// </summary>
    public int? MaxIterations { get; init; }

    /// <summary>
    /// Axis alignment stops when the objective 2·(m − Σ singular values) changes by less than this (≥ 0, m the
    /// fitted rows). Default <see cref="DefaultTolerance"/>. Not used by spherical k-means, which stops when the
    /// assignments repeat.
    /// </summary>
    public double Tolerance { get; init; } = DefaultTolerance;

    /// <summary>
    /// Fit on at most this many rows (≥ k; null: all rows). Default <see cref="DefaultSampleSize"/>. Axis alignment
    /// takes a farthest-point sample, spherical k-means a uniform random one, as ncut_pytorch does.
    /// </summary>
    public int? SampleSize { get; init; } = DefaultSampleSize;

    internal void Validate()
    {
        if (ClusterCount < 2)
            throw new ArgumentOutOfRangeException(nameof(ClusterCount), ClusterCount, "ClusterCount must be at least 2.");
        if (!Enum.IsDefined(Method))
            throw new ArgumentOutOfRangeException(nameof(Method), Method, "Unknown k-way method.");
        if (EigenvectorCount is { } c && c < 2)
            throw new ArgumentOutOfRangeException(nameof(EigenvectorCount), c, "EigenvectorCount must be at least 2.");
        if (Method == KwayMethod.AxisAlign && EigenvectorCount is { } e && e != ClusterCount)
            throw new ArgumentException($"AxisAlign uses exactly ClusterCount ({ClusterCount}) eigenvectors; EigenvectorCount is {e}.", nameof(EigenvectorCount));
        if (MaxIterations is { } it && it < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), it, "MaxIterations must be at least 1.");
        if (!(Tolerance >= 0 && double.IsFinite(Tolerance)))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be finite and ≥ 0.");
        if (SampleSize is { } s && s < ClusterCount)
            throw new ArgumentOutOfRangeException(nameof(SampleSize), s, $"SampleSize must be at least ClusterCount ({ClusterCount}).");
    }
}
