// OnnxFeatures: patch features of images from a named output of any ONNX vision model (N × C × h × w maps or N × T × C tokens), on ONNX Runtime (CPU).
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SkiaSharp;

namespace NcutKernels.Cli.Vision;

/// <summary>
/// Runs an ONNX vision model given with <c>--onnx</c> and returns one of its outputs as patch features. The model's
/// single input must be a float32 N × 3 × H × W tensor (NCHW; N symbolic or 1); each image is preprocessed by
/// <see cref="OnnxPreprocessing"/> and run on its own, and the output is read by <see cref="OutputGrid"/>. The output is
/// a graph output, or the output of any node inside the graph, which is then added as a graph output in memory
/// (<see cref="OnnxModelBytes.WithExtraOutputs"/>).
/// </summary>
internal sealed class OnnxFeatures : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string _modelPath;
    private readonly int? _dropTokens;
    private readonly bool _batchOfOne;

    private OnnxFeatures(InferenceSession session, string modelPath, string inputName, string outputName, int height, int width, bool batchOfOne,
        OnnxPreprocessing preprocessing, int? dropTokens)
    {
        _session = session;
        _modelPath = modelPath;
        InputName = inputName;
        OutputName = outputName;
        InputHeight = height;
        InputWidth = width;
        _batchOfOne = batchOfOne;
        Preprocessing = preprocessing;
        _dropTokens = dropTokens;
    }

    /// <summary>The model input the images go to.</summary>
    public string InputName { get; }

    /// <summary>The output read as features.</summary>
    public string OutputName { get; }

    /// <summary>Pixel rows of the model input (the height images are resized to).</summary>
    public int InputHeight { get; }

    /// <summary>Pixel columns of the model input.</summary>
    public int InputWidth { get; }

    /// <summary>How images become the model input.</summary>
    public OnnxPreprocessing Preprocessing { get; }

    /// <summary>
    /// Loads the model at <paramref name="modelPath"/> and checks its input and, when the graph declares it,
    /// <paramref name="outputName"/>'s rank. The input size is the model's own where it is fixed, else
    /// <see cref="OnnxPreprocessing.InputSize"/> or <see cref="OnnxPreprocessing.DefaultInputSize"/>.
    /// </summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="outputName">A graph output, or a node output inside the graph.</param>
    /// <param name="preprocessing">How images become the input.</param>
    /// <param name="dropTokens">Leading tokens to drop from a token output; null: <see cref="OutputGrid.SquareTokens"/>.</param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="modelPath"/>.</exception>
    /// <exception cref="InvalidDataException">Not a model ONNX Runtime loads, an input ncut cannot feed, or an output of the wrong rank or type.</exception>
    /// <exception cref="UsageException">No output of that name, or --input-size differs from the model's fixed size.</exception>
    public static OnnxFeatures Load(string modelPath, string outputName, OnnxPreprocessing preprocessing, int? dropTokens = null)
    {
        if (Directory.Exists(modelPath))
            throw new InvalidDataException($"--onnx {modelPath}: is a folder, not an ONNX model");
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"--onnx: model not found: {modelPath}", modelPath);
        var session = Open(modelPath, () => new InferenceSession(modelPath));
        try
        {
            bool declared = session.OutputMetadata.ContainsKey(outputName);
            if (!declared)
            {
                var outputs = session.OutputMetadata.Keys.ToList();
                session.Dispose();
                session = null;
                byte[] edited;
                try
                {
                    edited = OnnxModelBytes.WithExtraOutputs(File.ReadAllBytes(modelPath), [outputName]);
                }
                catch (ArgumentException)
                {
                    throw new UsageException($"--onnx-output '{outputName}': {modelPath} has no output of that name (its outputs: {string.Join(", ", outputs)}; "
                        + "the output of a node inside the graph works too)");
                }
                session = Open(modelPath, () => new InferenceSession(edited));
            }
            var (inputName, height, width, batchOfOne) = CheckInput(session, modelPath, preprocessing.InputSize);
            var output = session.OutputMetadata[outputName];
            if (!output.IsTensor || output.ElementDataType != TensorElementType.Float)
                throw new InvalidDataException($"--onnx-output '{outputName}': is {Describe(output)}, not a float32 tensor");
            if (declared)
                OutputGrid.CheckRank(outputName, output.Dimensions.Length, Dims(output));
            return new OnnxFeatures(session, modelPath, inputName, outputName, height, width, batchOfOne, preprocessing, dropTokens);
        }
        catch
        {
            session?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the model on <paramref name="batch"/> preprocessed images, <paramref name="pixels"/> a
    /// batch × 3 × <see cref="InputHeight"/> × <see cref="InputWidth"/> tensor in C order: the output's values (C order)
    /// and shape.
    /// </summary>
    /// <exception cref="ArgumentException">The batch is not positive (or not 1 for a model fixed at batch 1), or <paramref name="pixels"/> has the wrong length.</exception>
    /// <exception cref="InvalidDataException">ONNX Runtime fails, or the output is not a float32 tensor with the batch first.</exception>
    public (float[] Values, long[] Shape) Run(float[] pixels, int batch)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (batch < 1 || (_batchOfOne && batch != 1))
            throw new ArgumentOutOfRangeException(nameof(batch), batch, _batchOfOne ? "the model takes one image at a time" : "batch must be at least 1");
        long length = (long)batch * 3 * InputHeight * InputWidth;
        if (pixels.Length != length)
            throw new ArgumentException($"pixels has {pixels.Length} values, a {batch} × 3 × {InputHeight} × {InputWidth} input needs {length}", nameof(pixels));
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [batch, 3, InputHeight, InputWidth]);
        try
        {
            using var outputs = _session.Run(_runOptions, [InputName], [input], [OutputName]);
            var output = outputs[0];
            if (output.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
                throw new InvalidDataException($"--onnx-output '{OutputName}': is a {output.OnnxType}, not a float32 tensor");
            var info = output.GetTensorTypeAndShape();
            if (info.ElementDataType != TensorElementType.Float)
                throw new InvalidDataException($"--onnx-output '{OutputName}': is {info.ElementDataType}, not a float32 tensor");
            if (info.Shape.Length == 0 || info.Shape[0] != batch)
                throw new InvalidDataException($"--onnx-output '{OutputName}': shape [{string.Join(", ", info.Shape)}] does not start with the batch size {batch}");
            return (output.GetTensorDataAsSpan<float>().ToArray(), info.Shape);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"--onnx {_modelPath}: ONNX Runtime failed on a {batch} × 3 × {InputHeight} × {InputWidth} input: {e.Message}", e);
        }
    }

    /// <summary>The patch features of <paramref name="image"/>, and the grid they were read as (see <see cref="OutputGrid"/>).</summary>
    /// <exception cref="InvalidDataException">The model fails, or its output is not N × C × h × w or N × T × C with a square token grid.</exception>
    /// <exception cref="UsageException">--drop-tokens does not fit the output.</exception>
    public (FeatureMap Map, OutputGrid Grid) Extract(SKBitmap image)
    {
        var pixels = new float[3 * InputHeight * InputWidth];
        Preprocessing.Fill(image, InputHeight, InputWidth, pixels);
        var (values, shape) = Run(pixels, 1);
        var grid = OutputGrid.Of(OutputName, shape, _dropTokens);
        return (grid.Map(values, 0), grid);
    }

    /// <summary>The input's name and size (H, W) and whether its batch is fixed at 1, after checking that it takes N × 3 × H × W float32.</summary>
    private static (string Name, int Height, int Width, bool BatchOfOne) CheckInput(InferenceSession session, string modelPath, int? inputSize)
    {
        var inputs = session.InputMetadata;
        if (inputs.Count != 1)
            throw new InvalidDataException($"--onnx {modelPath}: the model takes {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Key}' {Describe(i.Value)}"))}); "
                + "ncut feeds it one float32 N × 3 × H × W image tensor");
        var (name, input) = inputs.First();
        var d = input.IsTensor ? input.Dimensions : [];
        if (!input.IsTensor || input.ElementDataType != TensorElementType.Float || d.Length != 4 || d[0] is not (1 or -1) || d[1] is not (3 or -1))
            throw new InvalidDataException($"--onnx {modelPath}: input '{name}' is {Describe(input)}; ncut feeds a float32 N × 3 × H × W image tensor (NCHW, N symbolic or 1)");
        int? fixedSide = d[2] > 0 ? d[2] : d[3] > 0 ? d[3] : null;
        if (inputSize is { } s && ((d[2] > 0 && d[2] != s) || (d[3] > 0 && d[3] != s)))
            throw new UsageException($"--input-size {s}: the model's input '{name}' is fixed at {Side(d[2])}×{Side(d[3])} pixels");
        int side = inputSize ?? fixedSide ?? OnnxPreprocessing.DefaultInputSize;
        return (name, d[2] > 0 ? d[2] : side, d[3] > 0 ? d[3] : side, d[0] == 1);
    }

    /// <summary>Runs <paramref name="open"/>, turning ONNX Runtime's refusal of the file into an <see cref="InvalidDataException"/>.</summary>
    private static InferenceSession Open(string modelPath, Func<InferenceSession> open)
    {
        try
        {
            return open();
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"--onnx {modelPath}: not a model ONNX Runtime can load: {e.Message}", e);
        }
    }

    private static string Side(int d) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "any";

    /// <summary>A node's type and shape as printed, e.g. "Float [N, 3, 32, 32]".</summary>
    private static string Describe(NodeMetadata node) => node.IsTensor ? $"{node.ElementDataType} {Dims(node)}" : node.OnnxValueType.ToString();

    /// <summary>A tensor's shape with its symbolic dimensions by name, e.g. "[N, 12]".</summary>
    private static string Dims(NodeMetadata node) =>
        $"[{string.Join(", ", node.Dimensions.Select((d, i) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : node.SymbolicDimensions.ElementAtOrDefault(i) is { Length: > 0 } n ? n : "?"))}]";

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
