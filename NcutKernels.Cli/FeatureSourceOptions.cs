// FeatureSourceOptions: the options of `ncut trace` that pick its features other than ResNet-18's — --features F.npy or --onnx MODEL.onnx and its preprocessing — and their reading into a FeatureSource.
using System.CommandLine;
using System.Globalization;
using NcutKernels.Cli.Vision;

namespace NcutKernels.Cli;

/// <summary>The feature-source options of one command; <see cref="Source"/> reads them, refusing the options that do not fit the source.</summary>
internal sealed class FeatureSourceOptions
{
    /// <summary>--features.</summary>
    public Option<string> Features { get; } = CliOption.Text("--features", "F.npy",
        "a B × H × W × C float32/float64 tensor traced instead of ResNet-18's features", "none");

    /// <summary>--onnx.</summary>
    public Option<string> Onnx { get; } = CliOption.Text("--onnx", "MODEL.onnx", "an ONNX vision model run on the images instead of ResNet-18", "none");

    /// <summary>--onnx-output.</summary>
    public Option<string> OnnxOutput { get; } = CliOption.Text("--onnx-output", "NAME",
        "--onnx: the output traced, N × C × h × w or N × T × C", "none; required with --onnx");

    /// <summary>--input-size, or null for the model's own size.</summary>
    public Option<int?> InputSize { get; } = CliOption.OptionalInt("--input-size", "S", "--onnx: the side of the square images the model takes",
        1, OnnxPreprocessing.MaxInputSize, "the model's input size, else 224");

    /// <summary>--mean, or null for ImageNet's.</summary>
    public Option<float[]?> Mean { get; } = CliOption.Create<float[]?>("--mean", "A,B,C", "--onnx: subtracted from the input planes, in --channel-order "
        + $"(default ImageNet's {Join(OnnxPreprocessing.ImageNetMean)}, ×255 with --pixel-range 255)", text => Triple(text, positive: false));

    /// <summary>--std, or null for ImageNet's.</summary>
    public Option<float[]?> Std { get; } = CliOption.Create<float[]?>("--std", "A,B,C", "--onnx: divides the input planes, > 0, in --channel-order "
        + $"(default ImageNet's {Join(OnnxPreprocessing.ImageNetStd)}, ×255 with --pixel-range 255)", text => Triple(text, positive: true));

    /// <summary>--channel-order.</summary>
    public Option<ChannelOrder> ChannelOrder { get; } = CliOption.Enum("--channel-order", "--onnx: the order of the model's input planes", Vision.ChannelOrder.Rgb);

    /// <summary>--pixel-range: 1 or 255.</summary>
    public Option<int> PixelRange { get; } = PixelRangeOption();

    /// <summary>--drop-tokens, or null for the rule of <see cref="OutputGrid.SquareTokens"/>.</summary>
    public Option<int?> DropTokens { get; } = CliOption.OptionalInt("--drop-tokens", "R", "--onnx: leading tokens (CLS, registers) dropped from N × T × C",
        0, int.MaxValue, "the fewest, up to 16, that leave a square grid");

    /// <summary>The options only --onnx takes.</summary>
    private IEnumerable<Option> OnnxOnly => [OnnxOutput, InputSize, Mean, Std, ChannelOrder, PixelRange, DropTokens];

    /// <summary>Adds every option to <paramref name="command"/>, in the order the help lists them.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in (Option[])[Features, Onnx, .. OnnxOnly])
            command.Add(option);
    }

    /// <summary>
    /// The source <paramref name="result"/> asks for: <see cref="NpySource"/> for --features, <see cref="OnnxSource"/> for
    /// --onnx, null (the built-in ResNet-18) for neither; <paramref name="trace"/> tells which options only ResNet-18 takes.
    /// </summary>
    /// <exception cref="MisuseException">Both are given, an option does not apply to the source, or --onnx comes without --onnx-output.</exception>
    public FeatureSource? Source(ParseResult result, TraceOptions trace)
    {
        string? features = result.GetValue(Features), onnx = result.GetValue(Onnx);
        if (features is not null && onnx is not null)
            throw new MisuseException("--features and --onnx are two sources of features (a .npy tensor, a model to run); give one");
        if (features is null && onnx is null)
        {
            if (FirstGiven(result, OnnxOnly) is { } onnxOnly)
                throw new MisuseException($"{onnxOnly} applies only with --onnx MODEL.onnx");
            return null;
        }
        string source = features is not null ? "--features" : "--onnx";
        if (FirstGiven(result, trace.ResNetOnly) is { } resnetOnly)
            throw new MisuseException($"{resnetOnly} applies only to the built-in ResNet-18, not with {source}");
        if (features is not null)
        {
            if (FirstGiven(result, OnnxOnly) is { } onnxOnly)
                throw new MisuseException($"{onnxOnly} applies only with --onnx MODEL.onnx, not with --features");
            return new NpySource(features);
        }
        string output = result.GetValue(OnnxOutput) ?? throw new MisuseException("missing required option --onnx-output (the name of the model output to trace) with --onnx");
        int range = result.GetValue(PixelRange);
        var mean = CliOption.Given(result, Mean) ? result.GetValue(Mean)! : OnnxPreprocessing.ImageNetMean.Select(m => m * range).ToArray();
        var std = CliOption.Given(result, Std) ? result.GetValue(Std)! : OnnxPreprocessing.ImageNetStd.Select(s => s * range).ToArray();
        var preprocessing = new OnnxPreprocessing(result.GetValue(InputSize), mean, std, result.GetValue(ChannelOrder), range);
        return new OnnxSource(onnx!, output, preprocessing, result.GetValue(DropTokens));
    }

    /// <summary>The name of the first of <paramref name="options"/> given in <paramref name="result"/>, or null.</summary>
    private static string? FirstGiven(ParseResult result, IEnumerable<Option> options) => options.FirstOrDefault(o => CliOption.Given(result, o))?.Name;

    private static Option<int> PixelRangeOption()
    {
        var option = CliOption.Create("--pixel-range", "1|255", "--onnx: the model's pixel values, 1 for [0, 1], 255 for [0, 255] (default 1)", text =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v is 1 or 255
                ? (v, null)
                : (1, $"{text} is not 1 (pixels in [0, 1]) or 255 (pixels in [0, 255])"));
        option.DefaultValueFactory = _ => 1;
        return option;
    }

    private static string Join(IEnumerable<float> values) => string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Three comma-separated numbers ("a,b,c"), one per input plane.</summary>
    private static (float[]? Values, string? Error) Triple(string text, bool positive)
    {
        var parts = text.Split(',');
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                return (null, $"'{text}' is not three comma-separated numbers (one per input channel, e.g. 0.485,0.456,0.406)");
        if (values.Length != 3)
            return (null, $"'{text}' has {values.Length} values, not one per input channel (3)");
        if (positive && values.Any(v => v <= 0))
            return (null, $"'{text}' has a value that is not positive");
        return (values, null);
    }
}
