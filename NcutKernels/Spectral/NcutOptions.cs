// NcutOptions: the settings of an Ncut embedding, validated in one place.
using NcutKernels.Core;

namespace NcutKernels.Spectral;

/// <summary>Settings of <see cref="Ncut"/>. Validated when the <see cref="Ncut"/> is constructed.</summary>
public sealed record NcutOptions
{
    /// <summary>Number of eigenvectors k (1 ≤ k &lt; n). Default 20.</summary>
    public int EigenvectorCount { get; init; } = 20;

    /// <summary>Affinity kind. Default RBF.</summary>
    public AffinityKind Affinity { get; init; } = AffinityKind.Rbf;

    /// <summary>
    /// Fixed σ (&gt; 0). When null, σ is chosen by the degree-quantile rule (<see cref="Quantile"/>) for RBF,
    /// and is 0.5 for cosine unless <see cref="Quantile"/> is set (ncut_pytorch's defaults).
    /// </summary>
    public double? Sigma { get; init; }

    /// <summary>Degree quantile in (0, 1) for choosing σ; null means 0.25 (ncut_pytorch's default) for RBF.</summary>
    public double? Quantile { get; init; }

    /// <summary>Seed of the eigen-solver's start block and of σ's point sample. Same seed, same device → identical output.</summary>
    public int Seed { get; init; }

    /// <summary>Residual tolerance ‖M·u − λ·u‖ (&gt; 0); null means 1e-5 for float32 and 1e-9 for float64.</summary>
    public double? Tolerance { get; init; }

    /// <summary>Upper bound on block products M·V before the solver returns unconverged (report says so). Default 1000.</summary>
    public int MaxBlockProducts { get; init; } = 1000;

    /// <summary>Added to the diagonal of the normalized affinity (ncut_pytorch's 1e-8); reported eigenvalues exclude it.</summary>
    public double DiagonalShift { get; init; } = 1e-8;

    /// <summary>Relative residual at which the backward pass's conjugate gradients stop (&gt; 0); null means 1e-6 for float32 and 1e-11 for float64.</summary>
    public double? GradientTolerance { get; init; }

    /// <summary>Iteration cap of the backward pass's conjugate gradients. Default 2000.</summary>
    public int MaxGradientIterations { get; init; } = 2000;

    /// <summary>The eigen-solve's settings for features of type T, defaults resolved: <see cref="Tolerance"/> or 1e-5 (float32) / 1e-9 (float64).</summary>
    internal Solvers.LanczosSettings Lanczos<T>() =>
        new(EigenvectorCount, Tolerance ?? (typeof(T) == typeof(float) ? 1e-5 : 1e-9), Seed, MaxBlockProducts, DiagonalShift);

    /// <summary>The eigen backward's settings for type T, defaults resolved: <see cref="GradientTolerance"/> or 1e-6 (float32) / 1e-11 (float64).</summary>
    internal Solvers.EigenBackwardSettings EigenBackward<T>() =>
        new(GradientTolerance ?? (typeof(T) == typeof(float) ? 1e-6 : 1e-11), MaxGradientIterations);

    /// <summary>Where progress and timing lines go (null: silent).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>
    /// Called with every <see cref="NcutWarning"/> (an eigen-solve, gradient or Nyström output that is not reliable at the
    /// precision used), after the warning line is written to <see cref="Log"/>. Null: no call.
    /// </summary>
    public Action<NcutWarning>? OnWarning { get; init; }

    /// <summary>When true, an unreliable result throws <see cref="NcutReliabilityException"/> instead of being returned with a warning. Default false.</summary>
    public bool Strict { get; init; }

    /// <summary>Reports <paramref name="warning"/>: a "warning:" line to <see cref="Log"/>, then <see cref="OnWarning"/>; throws it in <see cref="Strict"/> mode.</summary>
    internal void Warn(NcutWarning warning)
    {
        Log?.WriteLine($"warning: {warning}");
        OnWarning?.Invoke(warning);
        if (Strict)
            throw new NcutReliabilityException(warning);
    }

    /// <summary>σ used for cosine affinity when neither σ nor a quantile is given.</summary>
    public const double DefaultCosineSigma = 0.5;

    /// <summary>The default degree quantile.</summary>
    public const double DefaultQuantile = 0.25;

    /// <summary>
    /// σ for the rows of x (row-major, rows × cols): <see cref="Sigma"/> when given, the cosine default, else the degree-quantile
    /// rule, whose pair terms and row sums run on <paramref name="device"/> when it is an ILGPU device (<see cref="SigmaSelection"/>).
    /// </summary>
    internal double SigmaFor<T>(ReadOnlySpan<T> x, int rows, int cols, Runtime.ComputeDevice? device) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (Sigma is { } s)
            return s;
        if (Affinity == AffinityKind.Cosine && Quantile is null)
            return DefaultCosineSigma;
        return SigmaSelection.ByDegreeQuantile(x, rows, cols, Affinity, Quantile ?? DefaultQuantile, Seed, device);
    }

    /// <summary>
    /// σ in the scaled units for features used as x·2^−e (<paramref name="scaled"/>: the scaled rows, <paramref name="scale"/>: e):
    /// <see cref="Sigma"/> converted (<see cref="FeatureScale.ToScaled"/>), the cosine default, or the degree rule measured on the
    /// scaled rows; an <see cref="ArgumentOutOfRangeException"/> naming Sigma when it is below the precision's smallest usable σ
    /// (<see cref="FeatureScale.ThrowIfSigmaTooSmall{T}"/>).
    /// </summary>
    internal double ScaledSigmaFor<T>(ReadOnlySpan<T> scaled, int rows, int cols, Runtime.ComputeDevice? device, FeatureScale scale)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        double sigma = Sigma is { } s ? scale.ToScaled(s, Affinity) : SigmaFor(scaled, rows, cols, device);
        scale.ThrowIfSigmaTooSmall<T>(sigma, Affinity);
        return sigma;
    }

    /// <summary>
    /// As <see cref="SigmaFor{T}(ReadOnlySpan{T}, int, int, Runtime.ComputeDevice?)"/> for x resident on its device: the
    /// degree-quantile rule copies only the rows it reads to the host, and its pair terms and row sums run on x's device when
    /// that is an ILGPU device.
    /// </summary>
    internal double SigmaFor<T>(Runtime.DeviceMatrix<T> x) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (Sigma is { } s)
            return s;
        if (Affinity == AffinityKind.Cosine && Quantile is null)
            return DefaultCosineSigma;
        return SigmaSelection.ByDegreeQuantile(x, Affinity, Quantile ?? DefaultQuantile, Seed, Log is null ? null : Log.WriteLine);
    }

    internal void Validate()
    {
        if (EigenvectorCount < 1)
            throw new ArgumentOutOfRangeException(nameof(EigenvectorCount), EigenvectorCount, "EigenvectorCount must be at least 1.");
        if (!Enum.IsDefined(Affinity))
            throw new ArgumentOutOfRangeException(nameof(Affinity), Affinity, "Unknown affinity kind.");
        if (Sigma is { } s && !(s > 0 && double.IsFinite(s)))
            throw new ArgumentOutOfRangeException(nameof(Sigma), s, "Sigma must be finite and > 0.");
        if (Quantile is { } q && !(q > 0 && q < 1))
            throw new ArgumentOutOfRangeException(nameof(Quantile), q, "Quantile must lie in (0, 1).");
        if (Sigma is not null && Quantile is not null)
            throw new ArgumentException($"Give either Sigma ({Sigma}) or Quantile ({Quantile}), not both.", nameof(Quantile));
        if (Tolerance is { } t && !(t > 0 && double.IsFinite(t)))
            throw new ArgumentOutOfRangeException(nameof(Tolerance), t, "Tolerance must be finite and > 0.");
        if (GradientTolerance is { } gt && !(gt > 0 && double.IsFinite(gt)))
            throw new ArgumentOutOfRangeException(nameof(GradientTolerance), gt, "GradientTolerance must be finite and > 0.");
        if (MaxGradientIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxGradientIterations), MaxGradientIterations, "MaxGradientIterations must be at least 1.");
        if (MaxBlockProducts < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBlockProducts), MaxBlockProducts, "MaxBlockProducts must be at least 1.");
        if (!(DiagonalShift >= 0 && double.IsFinite(DiagonalShift)))
            throw new ArgumentOutOfRangeException(nameof(DiagonalShift), DiagonalShift, "DiagonalShift must be finite and ≥ 0.");
    }
}
