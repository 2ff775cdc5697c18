// NystromOptions: the sampling and propagation settings of a Nyström Ncut (counts mirror ncut_pytorch's NystromConfig), validated in one place.
using NcutKernels.Core;

namespace NcutKernels.Spectral;

/// <summary>
/// Settings of <see cref="NystromNcut"/> beyond the embedding's own <see cref="NcutOptions"/>. The counts and ratios mirror
/// ncut_pytorch's <c>NystromConfig</c> and <c>SMALL_SCALE_THRESHOLD</c>; <see cref="Sampling"/> and <see cref="Propagation"/>
/// default to the more accurate choices measured against exact Ncut (ncut_pytorch's are <see cref="LandmarkSampling.FarthestPoint"/>
/// and <see cref="NystromPropagation.NcutPytorch"/>). Validated when the <see cref="NystromNcut"/> is constructed.
/// </summary>
public sealed record NystromOptions
{
    /// <summary>Most landmarks m (ncut_pytorch's <c>n_sample</c>). Default 10240.</summary>
    public int SampleCount { get; init; } = 10240;

    /// <summary>Landmarks are at most this fraction of the points, m = min(SampleCount, ⌊n·ratio⌋) (<c>n_sample_max_ratio</c>), in (0, 1]. Default 0.25.</summary>
    public double SampleMaxRatio { get; init; } = 0.25;

    /// <summary>
    /// How the landmarks are chosen. Default <see cref="LandmarkSampling.Uniform"/>: on clustered data the farthest-point
    /// landmarks ncut_pytorch uses can flatten the landmark graph's spectrum at k, which no propagation can undo (measured
    /// with ReferenceData/tools/nystrom_accuracy.py).
    /// </summary>
    public LandmarkSampling Sampling { get; init; } = LandmarkSampling.Uniform;

    /// <summary>With <see cref="EmbeddingPath.Auto"/>, n at or below this takes the exact path (<c>SMALL_SCALE_THRESHOLD</c>). Default 8192.</summary>
    public int ExactThreshold { get; init; } = 8192;

    /// <summary>Which path to take. Default <see cref="EmbeddingPath.Auto"/>.</summary>
    public EmbeddingPath Path { get; init; } = EmbeddingPath.Auto;

    /// <summary>
    /// How the landmark eigenvectors reach the other points. Null (default): <see cref="NystromPropagation.Classic"/> for the
    /// RBF affinity — with uniform landmarks on clustered data it leaves a seventh or less of the nearest-anchor propagations'
    /// subspace error (measured with ReferenceData/tools/nystrom_accuracy.py), at n·s·d distance work (s ≤ m, see
    /// <see cref="ClassicLandmarks"/>) instead of n·anchors·d — and <see cref="NystromPropagation.Renormalized"/> for other affinities (the classic extension is RBF only).
    /// </summary>
    public NystromPropagation? Propagation { get; init; }

    /// <summary>
    /// Landmarks the classic extension (<see cref="NystromPropagation.Classic"/>) sums over, s ≤ m. Null (default): every landmark
    /// while n·m ≤ <see cref="ClassicWork"/> point–landmark pairs (n the fitted points); beyond that the smallest of
    /// 256, 512 and 1024 landmarks (a seeded random subset, each size a prefix of the next, never more than
    /// max(min(m, <see cref="MinClassicLandmarks"/>), ⌊ClassicWork/n⌋)) whose least-squares fit reproduces the landmark
    /// embedding within <see cref="ClassicTolerance"/>, or every landmark when none does (logged). Over a subset the extension
    /// is not the classic sum restricted to it (whose sampling error the 1/λ factor would amplify a thousandfold at λ ≈ 1e-3)
    /// but weights to the subset fitted by least squares, on all m landmarks, to reproduce √d·u and d there (see
    /// the README, "Nyström over a landmark subset"): its n·s·d work stops growing with n and it needs no 1/λ. A value
    /// sets s (values ≥ m mean every landmark) with no tolerance check: the residual is still logged. At least 1. The
    /// nearest-anchor propagations ignore it (they sum over <see cref="Neighbours"/> of <see cref="AnchorCount"/> anchors), and so
    /// does a differentiable fit, whose recorded extension always sums over every landmark (a later Transform of that fit
    /// prepares the extension these options ask for, so it may differ from the recorded output by the subset's residual).
    /// </summary>
    public int? ClassicLandmarks { get; init; }

    /// <summary>
    /// The largest relative residual, per column over the m landmarks, that a landmark subset's least-squares extension may leave
    /// to be used by default (<see cref="ClassicLandmarks"/> null): ‖W_LS·a_c − h_c‖/‖h_c‖ with h_c the all-landmark extension's
    /// √d·u_c at the landmarks (√d∘(M·u_c)/λ_c), and likewise for the degrees. In (0, 1). Default 0.01.
    /// </summary>
    public double ClassicTolerance { get; init; } = 0.01;

    /// <summary>Point–landmark pairs (n·m) up to which the classic extension sums over every landmark by default; beyond, it takes a landmark subset (<see cref="ClassicLandmarks"/>). At least 1. Default 2³⁰.</summary>
    public long ClassicWork { get; init; } = 1L << 30;

    /// <summary>The default subset of the classic extension may grow to this many landmarks when ⌊ClassicWork/n⌋ is smaller: 1024.</summary>
    public const int MinClassicLandmarks = 1024;

    /// <summary>
    /// The largest subset the classic extension may use for a fit on n points with m landmarks: the explicit
    /// <see cref="ClassicLandmarks"/> (at most m), else m while n·m ≤ <see cref="ClassicWork"/>, else
    /// max(min(m, <see cref="MinClassicLandmarks"/>), ⌊ClassicWork/n⌋).
    /// </summary>
    internal int ClassicLandmarkCount(int n, int m) =>
        ClassicLandmarks is { } s ? Math.Min(s, m)
        : (long)n * m <= ClassicWork ? m
        : (int)Math.Min(m, Math.Max(MinClassicLandmarks, ClassicWork / n));

    /// <summary>
    /// Rows of x (seeded; max(AccuracyCheckRows, 4k), at most n) on which a Nyström fit checks its output against the float64
    /// all-landmark classic extension of the same landmark eigenpairs (and, for n ≤ <see cref="ExactCheckLimit"/>, its whole
    /// output against the exact embedding of every point): <see cref="NystromNcut.Accuracy"/>, with a warning when it fails.
    /// 0 (default): no check. RBF affinity only (the classic extension's); exact-path fits (which are exact) and differentiable
    /// fits are not checked. The check downloads the landmark features and computes rows·m·d float64 distances on the host; it is
    /// not part of <see cref="NystromNcut.Timings"/>.
    /// </summary>
    public int AccuracyCheckRows { get; init; }

    /// <summary>With <see cref="AccuracyCheckRows"/> &gt; 0, fits on at most this many points are also compared with the exact path (every point in the graph): 16384.</summary>
    public const int ExactCheckLimit = 16384;

    /// <summary>Anchors for the nearest-anchor propagations, chosen among the landmarks by farthest-point sampling in eigenvector space (<c>n_sample2</c>). Default 1024.</summary>
    public int AnchorCount { get; init; } = 1024;

    /// <summary>Most anchors each point averages over (<c>n_neighbors</c>). Default 32.</summary>
    public int Neighbours { get; init; } = 32;

    /// <summary>
    /// The neighbour count is at most this fraction of the anchors (<c>n_neighbors_max_ratio</c>), in (0, 1]:
    /// neighbours = max(4, ⌊min(Neighbours, anchors·ratio)⌋), and never more than the anchors. Default 1/32.
    /// </summary>
    public double NeighboursMaxRatio { get; init; } = 1.0 / 32;

    /// <summary>
    /// Rows propagated per device call for host-array input: the propagation holds one chunk of features and of output on the
    /// device at a time, so its memory does not grow with n (beyond the n×k result on the host); the classic extension also
    /// sums device-resident input in chunks of this many rows, or of 2¹⁸ when that is more. The result does not depend on it. Default 16384. (The GPU
    /// kernels bound their own distance scratch to 256 MiB whatever the chunk.)
    /// </summary>
    public int ChunkRows { get; init; } = 16384;

    /// <summary>
    /// The arithmetic of the propagation's row–anchor distances on CUDA (<see cref="DistancePrecision"/>): 3xTF32
    /// tensor cores by default (float32 accuracy); <see cref="DistancePrecision.Tf32"/> trades accuracy (~5e-5 of the largest
    /// distance) for speed (not on a tape: differentiable fits use 3xTF32 instead, so that the backward's float64 neighbour sets
    /// match the forward's). Ignored by the CPU backends.
    /// </summary>
    public DistancePrecision DistancePrecision { get; init; } = DistancePrecision.Tf32x3;

    /// <summary>The propagation bandwidth σp (the degree rule on the anchors' features) is multiplied by this (&gt; 0; <c>extrapolation_factor</c>). Default 1.</summary>
    public double ExtrapolationFactor { get; init; } = 1.0;

    internal void Validate()
    {
        if (SampleCount < 2)
            throw new ArgumentOutOfRangeException(nameof(SampleCount), SampleCount, "SampleCount must be at least 2.");
        if (!(SampleMaxRatio > 0 && SampleMaxRatio <= 1))
            throw new ArgumentOutOfRangeException(nameof(SampleMaxRatio), SampleMaxRatio, "SampleMaxRatio must lie in (0, 1].");
        if (ExactThreshold < 0)
            throw new ArgumentOutOfRangeException(nameof(ExactThreshold), ExactThreshold, "ExactThreshold must be ≥ 0.");
        if (!Enum.IsDefined(Sampling))
            throw new ArgumentOutOfRangeException(nameof(Sampling), Sampling, "Unknown landmark sampling.");
        if (!Enum.IsDefined(Path))
            throw new ArgumentOutOfRangeException(nameof(Path), Path, "Unknown embedding path.");
        if (Propagation is { } propagation && !Enum.IsDefined(propagation))
            throw new ArgumentOutOfRangeException(nameof(Propagation), propagation, "Unknown propagation.");
        if (!Enum.IsDefined(DistancePrecision))
            throw new ArgumentOutOfRangeException(nameof(DistancePrecision), DistancePrecision, "Unknown distance precision.");
        if (ClassicLandmarks is { } classic && classic < 1)
            throw new ArgumentOutOfRangeException(nameof(ClassicLandmarks), classic, "ClassicLandmarks must be at least 1 (or null for the default).");
        if (ClassicWork < 1)
            throw new ArgumentOutOfRangeException(nameof(ClassicWork), ClassicWork, "ClassicWork must be at least 1.");
        if (!(ClassicTolerance > 0 && ClassicTolerance < 1))
            throw new ArgumentOutOfRangeException(nameof(ClassicTolerance), ClassicTolerance, "ClassicTolerance must lie in (0, 1).");
        if (AccuracyCheckRows < 0)
            throw new ArgumentOutOfRangeException(nameof(AccuracyCheckRows), AccuracyCheckRows, "AccuracyCheckRows must be ≥ 0 (0: no check).");
        if (AnchorCount < 1)
            throw new ArgumentOutOfRangeException(nameof(AnchorCount), AnchorCount, "AnchorCount must be at least 1.");
        if (Neighbours < 1)
            throw new ArgumentOutOfRangeException(nameof(Neighbours), Neighbours, "Neighbours must be at least 1.");
        if (!(NeighboursMaxRatio > 0 && NeighboursMaxRatio <= 1))
            throw new ArgumentOutOfRangeException(nameof(NeighboursMaxRatio), NeighboursMaxRatio, "NeighboursMaxRatio must lie in (0, 1].");
        if (ChunkRows < 1)
            throw new ArgumentOutOfRangeException(nameof(ChunkRows), ChunkRows, "ChunkRows must be at least 1.");
        if (!(ExtrapolationFactor > 0 && double.IsFinite(ExtrapolationFactor)))
            throw new ArgumentOutOfRangeException(nameof(ExtrapolationFactor), ExtrapolationFactor, "ExtrapolationFactor must be finite and > 0.");
    }
}
