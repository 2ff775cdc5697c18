// ResNetLayer: the ResNet-18 stages whose activations ResNetFeatures can return, with their ONNX tensor names and shapes.
namespace NcutKernels.Cli.Vision;

/// <summary>A stage of the packaged ResNet-18 whose last activation (after its final ReLU) serves as patch features.</summary>
internal enum ResNetLayer
{
    /// <summary>End of stage 2: 128 channels on a 28×28 grid per 224-pixel crop (stride 8).</summary>
    Layer2 = 2,

    /// <summary>End of stage 3: 256 channels on a 14×14 grid per 224-pixel crop (stride 16).</summary>
    Layer3 = 3,

    /// <summary>End of stage 4: 512 channels on a 7×7 grid per crop (stride 32); its 7×7 mean is the model's pooled output.</summary>
    Layer4 = 4,
}

/// <summary>Names and shapes of <see cref="ResNetLayer"/>.</summary>
internal static class ResNetLayers
{
    /// <summary>The names as the command line spells them (--layer): "layer2", "layer3", "layer4".</summary>
    public static IEnumerable<string> Names => Enum.GetNames<ResNetLayer>().Select(n => n.ToLowerInvariant());

    /// <summary>
    /// The ONNX tensor holding the stage's output in ResNet18.onnx (CNTK 2.6 export): the ReLU after the stage's last
    /// residual addition.
    /// </summary>
    public static string OutputName(this ResNetLayer layer) => layer switch
    {
        ResNetLayer.Layer2 => "ReLU315_Output_0",
        ResNetLayer.Layer3 => "ReLU347_Output_0",
        ResNetLayer.Layer4 => "ReLU393_Output_0",
        _ => throw Unknown(layer),
    };

    /// <summary>Feature channels of the stage's output.</summary>
    public static int Channels(this ResNetLayer layer) => layer switch
    {
        ResNetLayer.Layer2 => 128,
        ResNetLayer.Layer3 => 256,
        ResNetLayer.Layer4 => 512,
        _ => throw Unknown(layer),
    };

    /// <summary>Side of the stage's square output grid for one 224×224 crop (224 / stride).</summary>
    public static int GridSize(this ResNetLayer layer) => layer switch
    {
        ResNetLayer.Layer2 => 28,
        ResNetLayer.Layer3 => 14,
        ResNetLayer.Layer4 => 7,
        _ => throw Unknown(layer),
    };

    private static ArgumentOutOfRangeException Unknown(ResNetLayer layer) =>
        new(nameof(layer), layer, $"unknown ResNet layer {(int)layer} (known: {string.Join(", ", Names)})");
}
