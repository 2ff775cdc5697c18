// TraceOptions: the options `ncut trace` and `ncut demo` share (clusters, eigenvectors, pictures, ResNet-18, graph, device) and their reading into TraceCommand.Settings.
using System.CommandLine;
using NcutKernels.Cli.Vision;
using NcutKernels.Spectral;

namespace NcutKernels.Cli;

/// <summary>The trace options of one command (all but --image, --out and the feature sources); <see cref="Settings"/> reads them.</summary>
internal sealed class TraceOptions
{
    /// <summary>--clusters: at most --n-eig (checked by <see cref="Settings"/>).</summary>
    public Option<int> Clusters { get; } = CliOption.Int("--clusters", "C", "clusters (segments), at most --n-eig", 2, MaxEigenvectors, 4);

    /// <summary>--n-eig.</summary>
    public Option<int> EigenvectorCount { get; } = CliOption.Int("--n-eig", "K", "eigenvectors of the NCUT", 2, MaxEigenvectors, 10);

    /// <summary>--top.</summary>
    public Option<int> Top { get; } = CliOption.Int("--top", "T", "channels drawn and listed per cluster", 1, 64, 6);

    /// <summary>--tiles, or null for <see cref="TileGrid.DefaultShortSideTiles"/>.</summary>
    public Option<int?> Tiles { get; } = CliOption.OptionalInt("--tiles", "N", $"ResNet-18: {TileGrid.CropSize}-pixel crops along the shorter side",
        1, 8, $"as many as the image holds, up to {TileGrid.MaxDefaultShortSideTiles}");

    /// <summary>--layer.</summary>
    public Option<ResNetLayer> Layer { get; } = CliOption.Enum("--layer", "ResNet-18: the stage whose activations are traced", ResNetLayer.Layer3);

    /// <summary>--model, or null for the shipped ResNet-18.</summary>
    public Option<string> Model { get; } = CliOption.Text("--model", "ResNet18.onnx", "ResNet-18: the model file",
        "DnnImageModels/ResNet18Onnx/ResNet18.onnx beside ncut");

    /// <summary>--kway.</summary>
    public Option<KwayMethod> Kway { get; } = CliOption.Enum("--kway", "how the eigenvectors become clusters", KwayMethod.AxisAlign);

    /// <summary>--display-size.</summary>
    public Option<int> DisplaySize { get; } = CliOption.Int("--display-size", "PX", "every picture's longer side, in pixels", PictureSize.Min, PictureSize.Max, PictureSize.Default);

    /// <summary>--affinity (default <see cref="TraceCommand.DefaultAffinity"/>), --sigma, --quantile, --device, --seed, --strict.</summary>
    public GraphOptions Graph { get; } = new(TraceCommand.DefaultAffinity);

    /// <summary>The options only the built-in ResNet-18 takes.</summary>
    public IEnumerable<Option> ResNetOnly => [Tiles, Layer, Model];

    /// <summary>The largest --n-eig.</summary>
    private const int MaxEigenvectors = 100;

    /// <summary>Adds every option to <paramref name="command"/>, in the order the help lists them.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in (Option[])[Clusters, EigenvectorCount, Top, Kway, .. ResNetOnly, .. Graph.All, DisplaySize])
            command.Add(option);
    }

    /// <summary>
    /// The settings of a trace of <paramref name="images"/> into <paramref name="outDir"/> from <paramref name="source"/>
    /// (null: ResNet-18), the rest read from <paramref name="result"/>. Each image's header is checked (size limits) first.
    /// </summary>
    /// <exception cref="MisuseException">--clusters above --n-eig, or --sigma with --quantile.</exception>
    /// <exception cref="UsageException">An image that cannot be read or is too large.</exception>
    public TraceCommand.Settings Settings(ParseResult result, IReadOnlyList<string> images, string outDir, FeatureSource? source)
    {
        int k = result.GetValue(EigenvectorCount), clusters = result.GetValue(Clusters);
        if (clusters > k)
            throw new MisuseException($"--clusters: {clusters} must be in 2..n-eig ({k})");
        var (sigma, quantile) = Graph.Scale(result);
        foreach (var image in images)
        {
            try
            {
                ImageFile.Check(image);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                throw new UsageException($"--image: {e.Message}");
            }
        }
        return new TraceCommand.Settings(images, Path.GetFullPath(outDir), clusters, k, result.GetValue(Top), result.GetValue(Tiles),
            result.GetValue(Layer), result.GetValue(Model), result.GetValue(Graph.Device), result.GetValue(Kway), result.GetValue(Graph.Seed),
            result.GetValue(Graph.Affinity), sigma, quantile, result.GetValue(Graph.Strict), result.GetValue(DisplaySize), source);
    }
}
