// FeatureSource: where `ncut trace` takes its features from when not from the built-in ResNet-18 — a .npy tensor (--features) or an ONNX model (--onnx) — and its options' parsing.
using System.Globalization;
using NcutKernels.Cli.Vision;

namespace NcutKernels.Cli;

/// <summary>A source of trace features other than the built-in ResNet-18 (which <see cref="Parse"/> gives as null).</summary>
internal abstract record FeatureSource
{
    /// <summary>The options that only the built-in ResNet-18 takes.</summary>
    private static readonly string[] ResNetOptions = ["layer", "tiles", "model"];

    /// <summary>The options that only --onnx takes.</summary>
    private static readonly string[] OnnxOptions = ["onnx-output", "input-size", "mean", "std", "channel-order", "pixel-range", "drop-tokens"];

    /// <summary>Every option that picks or configures a source: --features, --onnx and <see cref="OnnxOptions"/>.</summary>
    internal static IEnumerable<string> Options => OnnxOptions.Prepend("onnx").Prepend("features");

    /// <summary>
    /// The source the options of <paramref name="a"/> ask for: <see cref="NpySource"/> for --features,
    /// <see cref="OnnxSource"/> for --onnx, null (the built-in ResNet-18) for neither.
    /// </summary>
    /// <exception cref="UsageException">Both are given, an option does not apply to the source, or an --onnx option's value is invalid.</exception>
    public static FeatureSource? Parse(CliArgs a)
    {
        string? features = a.String("features"), onnx = a.String("onnx");
        if (features is not null && onnx is not null)
            throw new UsageException("--features and --onnx are two sources of features (a .npy tensor, a model to run); give one");
        if (features is null && onnx is null)
        {
            if (FirstGiven(a, OnnxOptions) is { } onnxOnly)
                throw new UsageException($"--{onnxOnly} applies only with --onnx MODEL.onnx");
            return null;
        }
        string source = features is not null ? "--features" : "--onnx";
        if (FirstGiven(a, ResNetOptions) is { } resnetOnly)
            throw new UsageException($"--{resnetOnly} applies only to the built-in ResNet-18, not with {source}");
        if (features is not null)
        {
            if (FirstGiven(a, OnnxOptions) is { } onnxOnly)
                throw new UsageException($"--{onnxOnly} applies only with --onnx MODEL.onnx, not with --features");
            return new NpySource(features);
        }
        int range = a.Int("pixel-range") ?? 1;
        if (range is not (1 or 255))
            throw new UsageException($"--pixel-range: {range} is not 1 (pixels in [0, 1]) or 255 (pixels in [0, 255])");
        int? size = a.Int("input-size");
        if (size is < 1 or > OnnxPreprocessing.MaxInputSize)
            throw new UsageException($"--input-size: {size} is outside 1..{OnnxPreprocessing.MaxInputSize}");
        int? drop = a.Int("drop-tokens");
        if (drop < 0)
            throw new UsageException($"--drop-tokens: {drop} is negative");
        var mean = Triple(a, "mean", positive: false) ?? OnnxPreprocessing.ImageNetMean.Select(m => m * range).ToArray();
        var std = Triple(a, "std", positive: true) ?? OnnxPreprocessing.ImageNetStd.Select(m => m * range).ToArray();
        var preprocessing = new OnnxPreprocessing(size, mean, std, a.Enum<ChannelOrder>("channel-order") ?? ChannelOrder.Rgb, range);
        string output = a.String("onnx-output") ?? throw new UsageException("missing required option --onnx-output (the name of the model output to trace) with --onnx");
        return new OnnxSource(onnx!, output, preprocessing, drop);
    }

    /// <summary>The first of <paramref name="options"/> given in <paramref name="a"/>, or null.</summary>
    private static string? FirstGiven(CliArgs a, IEnumerable<string> options) => options.FirstOrDefault(o => a.String(o) is not null);

    /// <summary>The three comma-separated numbers of option <paramref name="name"/> ("a,b,c"), or null when it is not given.</summary>
    private static float[]? Triple(CliArgs a, string name, bool positive)
    {
        if (a.String(name) is not { } text)
            return null;
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new UsageException($"--{name}: '{text}' is not three comma-separated numbers (one per input channel, e.g. 0.485,0.456,0.406)");
        if (values.Length != 3)
            throw new UsageException($"--{name}: '{text}' has {values.Length} values, not one per input channel (3)");
        if (positive && values.Any(v => v <= 0))
            throw new UsageException($"--{name}: '{text}' has a value that is not positive");
        return values;
    }
}

/// <summary>--features: a B × H × W × C float32 or float64 .npy tensor.</summary>
/// <param name="Path">The .npy file.</param>
internal sealed record NpySource(string Path) : FeatureSource;

/// <summary>--onnx: the output <paramref name="Output"/> of the model at <paramref name="Model"/>, run on the images.</summary>
/// <param name="Model">The .onnx file.</param>
/// <param name="Output">--onnx-output: a graph output, or a node output inside the graph.</param>
/// <param name="Preprocessing">--input-size, --mean, --std, --channel-order, --pixel-range.</param>
/// <param name="DropTokens">--drop-tokens: leading tokens to drop; null: the rule of <see cref="OutputGrid.SquareTokens"/>.</param>
internal sealed record OnnxSource(string Model, string Output, OnnxPreprocessing Preprocessing, int? DropTokens) : FeatureSource;
