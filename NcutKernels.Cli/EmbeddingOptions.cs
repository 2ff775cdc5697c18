// EmbeddingOptions: the options that say how to embed .npy features (--n-eig, graph, Nyström path, device, --strict), added to any command that fits an embedding and read back as library settings.
using System.CommandLine;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

/// <summary>
/// The embedding options of one command: <see cref="AddTo"/> adds them to it, <see cref="Settings"/> reads a parse of it as
/// (<see cref="NcutOptions"/>, <see cref="NystromOptions"/>, <see cref="DeviceKind"/>). --n-eig is required unless the command
/// gives it a default.
/// </summary>
internal sealed class EmbeddingOptions
{
    private static readonly NystromOptions Defaults = new();

    /// <summary>
    /// The options; <paramref name="eigenvectorDefault"/>: what --n-eig defaults to, as its help says it (the command passes
    /// the value to <see cref="Settings"/>), or null when --n-eig is required.
    /// </summary>
    public EmbeddingOptions(string? eigenvectorDefault = null) =>
        EigenvectorCount = CliOption.OptionalInt("--n-eig", "K", "eigenvectors, fewer than the points", 1, int.MaxValue, eigenvectorDefault);

    /// <summary>--n-eig: the eigenvectors k.</summary>
    public Option<int?> EigenvectorCount { get; }

    /// <summary>--path.</summary>
    public Option<EmbeddingPath> Path { get; } = CliOption.Enum("--path",
        $"exact: all points in the graph; nystrom: landmarks + propagation; auto: exact up to {Defaults.ExactThreshold} points", Defaults.Path);

    /// <summary>--propagation, or null for the library's choice by affinity.</summary>
    public Option<NystromPropagation?> Propagation { get; } = CliOption.OptionalEnum<NystromPropagation>("--propagation",
        "how landmark eigenvectors reach the other points", "classic for rbf, renormalized for cosine");

    /// <summary>--sampling.</summary>
    public Option<LandmarkSampling> Sampling { get; } = CliOption.Enum("--sampling", "how the landmarks are picked", Defaults.Sampling);

    /// <summary>--distance-precision.</summary>
    public Option<DistancePrecision> DistancePrecision { get; } = CliOption.Enum("--distance-precision",
        "CUDA: the arithmetic of the Nyström distances", Defaults.DistancePrecision);

    /// <summary>--classic-landmarks, or null for the library's rule.</summary>
    public Option<int?> ClassicLandmarks { get; } = CliOption.OptionalInt("--classic-landmarks", "S", "landmarks the classic extension sums over",
        1, int.MaxValue, "all while n·m ≤ 2³⁰");

    /// <summary>--accuracy-check.</summary>
    public Option<int> AccuracyCheck { get; } = CliOption.Int("--accuracy-check", "ROWS",
        "output rows checked against the float64 all-landmark extension, 0: none", 0, int.MaxValue, 0);

    /// <summary>--affinity, --sigma, --quantile, --device, --seed, --strict (--affinity defaults to rbf).</summary>
    public GraphOptions Graph { get; } = new(AffinityKind.Rbf);

    /// <summary>Every option, in the order the help lists them.</summary>
    public IEnumerable<Option> All =>
        [EigenvectorCount, Path, Propagation, Sampling, DistancePrecision, ClassicLandmarks, AccuracyCheck, .. Graph.All];

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in All)
            command.Add(option);
    }

    /// <summary>
    /// The options of <paramref name="result"/> (a parse of a command they were added to) as library settings: the
    /// library's log goes to <paramref name="stdout"/>, its warnings to <paramref name="stderr"/>; --n-eig, when not given, is
    /// <paramref name="defaultEigenvectors"/> (the value of the default the constructor was told).
    /// </summary>
    /// <exception cref="MisuseException">--sigma and --quantile are both given.</exception>
    public (NcutOptions Options, NystromOptions Nystrom, DeviceKind Device) Settings(ParseResult result, TextWriter stdout, TextWriter stderr,
        int? defaultEigenvectors = null)
    {
        var (sigma, quantile) = Graph.Scale(result);
        var options = new NcutOptions
        {
            EigenvectorCount = result.GetValue(EigenvectorCount) ?? defaultEigenvectors
                ?? throw new InvalidOperationException("--n-eig has a default the command did not pass"),
            Affinity = result.GetValue(Graph.Affinity),
            Sigma = sigma,
            Quantile = quantile,
            Seed = result.GetValue(Graph.Seed),
            Log = stdout,
            OnWarning = EmbedCommand.Warnings(stderr),
            Strict = result.GetValue(Graph.Strict),
        };
        var nystrom = new NystromOptions
        {
            Path = result.GetValue(Path),
            Propagation = result.GetValue(Propagation),
            Sampling = result.GetValue(Sampling),
            DistancePrecision = result.GetValue(DistancePrecision),
            ClassicLandmarks = result.GetValue(ClassicLandmarks),
            AccuracyCheckRows = result.GetValue(AccuracyCheck),
        };
        return (options, nystrom, result.GetValue(Graph.Device));
    }
}
