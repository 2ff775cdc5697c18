// GraphOptions: the options of the affinity graph, the device and strictness that `trace`/`demo` and the embedding commands share (--affinity, --sigma, --quantile, --device, --seed, --strict).
using System.CommandLine;
using NcutKernels.Core;
using NcutKernels.Runtime;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

/// <summary>The graph and device options of one command; <see cref="Scale"/> reads --sigma and --quantile together.</summary>
internal sealed class GraphOptions
{
    /// <summary>The --device names: lower case, and ilgpu-cpu for <see cref="DeviceKind.IlgpuCpu"/>.</summary>
    private static readonly (string Name, DeviceKind Value)[] DeviceNames =
        [("auto", DeviceKind.Auto), ("cuda", DeviceKind.Cuda), ("cpu", DeviceKind.Cpu), ("ilgpu-cpu", DeviceKind.IlgpuCpu)];

    /// <summary>The options, --affinity defaulting to <paramref name="defaultAffinity"/>.</summary>
    public GraphOptions(AffinityKind defaultAffinity)
    {
        Affinity = CliOption.Enum("--affinity", "the affinity between feature rows", defaultAffinity);
        Sigma = CliOption.OptionalDouble("--sigma", "S", "the affinity's scale σ", s => s > 0 && double.IsFinite(s), "finite and > 0",
            $"{NcutOptions.DefaultCosineSigma} for cosine, else by --quantile");
        Quantile = CliOption.OptionalDouble("--quantile", "Q", "the degree quantile whose rule picks σ", q => q is > 0 and < 1,
            "in (0, 1)", $"{NcutOptions.DefaultQuantile}");
        Device = DeviceOption();
        Seed = CliOption.Int("--seed", "N", "seed of the eigen-solver and of σ's sample", int.MinValue, int.MaxValue, 0);
        Strict = CliOption.Flag("--strict", "an unreliable result is an error, exit code 4, not a warning");
    }

    /// <summary>A --device option (auto|cuda|cpu|ilgpu-cpu, default auto), for commands that take it without the graph's options.</summary>
    public static Option<DeviceKind> DeviceOption() =>
        CliOption.Enum("--device", "where NCUT runs; auto: cuda when usable, else cpu; ilgpu-cpu: kernel debugging", DeviceKind.Auto, DeviceNames);

    /// <summary>--affinity.</summary>
    public Option<AffinityKind> Affinity { get; }

    /// <summary>--sigma: σ, or null for the default rule.</summary>
    public Option<double?> Sigma { get; }

    /// <summary>--quantile: the degree quantile, or null for the default.</summary>
    public Option<double?> Quantile { get; }

    /// <summary>--device.</summary>
    public Option<DeviceKind> Device { get; }

    /// <summary>--seed.</summary>
    public Option<int> Seed { get; }

    /// <summary>--strict.</summary>
    public Option<bool> Strict { get; }

    /// <summary>Every option, in the order the help lists them.</summary>
    public IEnumerable<Option> All => [Affinity, Sigma, Quantile, Device, Seed, Strict];

    /// <summary>--sigma and --quantile.</summary>
    /// <exception cref="MisuseException">Both are given.</exception>
    public (double? Sigma, double? Quantile) Scale(ParseResult result)
    {
        double? sigma = result.GetValue(Sigma), quantile = result.GetValue(Quantile);
        if (sigma is not null && quantile is not null)
            throw new MisuseException($"--sigma {sigma} and --quantile {quantile} both set σ: give one, not both");
        return (sigma, quantile);
    }
}
