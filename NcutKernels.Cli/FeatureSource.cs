// FeatureSource: where `ncut trace` takes its features from when not from the built-in ResNet-18 — a .npy tensor (--features) or an ONNX model (--onnx).
using NcutKernels.Cli.Vision;

namespace NcutKernels.Cli;

/// <summary>A source of trace features other than the built-in ResNet-18 (read from the options by <see cref="FeatureSourceOptions.Source"/>).</summary>
internal abstract record FeatureSource;

/// <summary>--features: a B × H × W × C float32 or float64 .npy tensor.</summary>
/// <param name="Path">The .npy file.</param>
internal sealed record NpySource(string Path) : FeatureSource;

/// <summary>--onnx: the output <paramref name="Output"/> of the model at <paramref name="Model"/>, run on the images.</summary>
/// <param name="Model">The .onnx file.</param>
/// <param name="Output">--onnx-output: a graph output, or a node output inside the graph.</param>
/// <param name="Preprocessing">--input-size, --mean, --std, --channel-order, --pixel-range.</param>
/// <param name="DropTokens">--drop-tokens: leading tokens to drop; null: the rule of <see cref="OutputGrid.SquareTokens"/>.</param>
internal sealed record OnnxSource(string Model, string Output, OnnxPreprocessing Preprocessing, int? DropTokens) : FeatureSource;
