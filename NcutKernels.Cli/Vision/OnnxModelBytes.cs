// OnnxModelBytes: reads and edits a serialized ONNX ModelProto in memory (graph outputs, node outputs, float initializers).
using System.Runtime.InteropServices;
using System.Text;

namespace NcutKernels.Cli.Vision;

/// <summary>
/// Works on the raw protobuf bytes of an ONNX model (onnx.proto: ModelProto.graph = 7; GraphProto.node = 1,
/// .initializer = 5, .output = 12; NodeProto.output = 2; ValueInfoProto.name = 1; TensorProto.dims = 1,
/// .data_type = 2, .float_data = 4, .name = 8, .raw_data = 9), so that no ONNX or protobuf package is needed.
/// </summary>
internal static class OnnxModelBytes
{
    private const int ModelGraph = 7;
    private const int GraphNode = 1, GraphInitializer = 5, GraphOutput = 12;
    private const int NodeOutput = 2;
    private const int ValueInfoName = 1;
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorName = 8, TensorRawData = 9;
    private const int TensorFloat = 1;

    /// <summary>The names of the graph's declared outputs, in order.</summary>
    public static List<string> GraphOutputs(byte[] model)
    {
        var graph = Graph(model).Payload(model);
        var names = new List<string>();
        foreach (var output in Fields(graph, GraphOutput))
            names.Add(FirstString(output.Payload(graph), ValueInfoName) ?? "");
        return names;
    }

    /// <summary>
    /// A copy of <paramref name="model"/> whose graph declares <paramref name="names"/> as extra outputs (after its own;
    /// names it already declares are not repeated). Each new entry is a ValueInfoProto holding only the name, which ONNX
    /// Runtime accepts; every byte outside the graph field, and the graph's own bytes, are copied unchanged, and only the
    /// graph field's length prefix is rewritten.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or is not the output of any node of the graph.</exception>
    public static byte[] WithExtraOutputs(byte[] model, IReadOnlyList<string> names)
    {
        var graphField = Graph(model);
        var graph = graphField.Payload(model);
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in Fields(graph, GraphNode))
            foreach (var output in Fields(node.Payload(graph), NodeOutput))
                produced.Add(Encoding.UTF8.GetString(output.Payload(node.Payload(graph))));
        var declared = GraphOutputs(model).ToHashSet(StringComparer.Ordinal);

        using var extra = new MemoryStream();
        foreach (string name in names)
        {
            if (!produced.Contains(name))
                throw new ArgumentException($"'{name}' is not the output of any node in the model graph ({produced.Count} node outputs)", nameof(names));
            if (!declared.Add(name))
                continue;
            using var valueInfo = new MemoryStream();
            ProtoWriter.LengthDelimited(valueInfo, ValueInfoName, Encoding.UTF8.GetBytes(name));
            ProtoWriter.LengthDelimited(extra, GraphOutput, valueInfo.ToArray());
        }

        using var result = new MemoryStream(model.Length + (int)extra.Length + 16);
        result.Write(model.AsSpan(0, graphField.Start));
        ProtoWriter.LengthPrefix(result, ModelGraph, graph.Length + extra.Length);
        result.Write(graph);
        extra.WriteTo(result);
        result.Write(model.AsSpan(graphField.End));
        return result.ToArray();
    }

    /// <summary>The values (row-major) and dimensions of the float32 initializer called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The graph has no initializer of that name.</exception>
    /// <exception cref="InvalidDataException">The initializer is not float32, or its data does not match its dimensions.</exception>
    public static (float[] Values, long[] Dims) FloatInitializer(byte[] model, string name)
    {
        var graph = Graph(model).Payload(model);
        foreach (var initializer in Fields(graph, GraphInitializer))
        {
            var tensor = initializer.Payload(graph);
            if (FirstString(tensor, TensorName) != name)
                continue;
            var dims = new List<long>();
            var values = new List<float>();
            ulong dataType = 0;
            var reader = new ProtoReader(tensor);
            while (reader.Next(out var field))
            {
                var bytes = field.Payload(tensor);
                switch (field.Number, field.Type)
                {
                    case (TensorDims, WireType.Varint): dims.Add((long)field.Varint); break;
                    case (TensorDims, WireType.LengthDelimited): dims.AddRange(ProtoReader.PackedVarints(bytes).Select(d => (long)d)); break;
                    case (TensorDataType, WireType.Varint): dataType = field.Varint; break;
                    case (TensorFloatData, WireType.LengthDelimited or WireType.Fixed32):
                    case (TensorRawData, WireType.LengthDelimited):
                        values.AddRange(MemoryMarshal.Cast<byte, float>(bytes)); break;
                }
            }
            if (dataType != TensorFloat)
                throw new InvalidDataException($"initializer '{name}' has ONNX data type {dataType}, not float32 ({TensorFloat})");
            long count = dims.Aggregate(1L, (a, d) => a * d);
            if (values.Count != count)
                throw new InvalidDataException($"initializer '{name}' holds {values.Count} floats, its dims [{string.Join(", ", dims)}] need {count}");
            return (values.ToArray(), dims.ToArray());
        }
        throw new ArgumentException($"the model graph has no initializer named '{name}'", nameof(name));
    }

    /// <summary>The model's single graph field.</summary>
    private static ProtoField Graph(byte[] model)
    {
        var graphs = Fields(model, ModelGraph);
        if (graphs.Count != 1)
            throw new InvalidDataException($"not an ONNX model: expected one graph (ModelProto field {ModelGraph}), found {graphs.Count}");
        return graphs[0];
    }

    /// <summary>The top-level length-delimited fields numbered <paramref name="number"/> in <paramref name="message"/>.</summary>
    private static List<ProtoField> Fields(ReadOnlySpan<byte> message, int number)
    {
        var found = new List<ProtoField>();
        var reader = new ProtoReader(message);
        while (reader.Next(out var field))
            if (field.Number == number && field.Type == WireType.LengthDelimited)
                found.Add(field);
        return found;
    }

    /// <summary>The first string field numbered <paramref name="number"/> in <paramref name="message"/>, or null.</summary>
    private static string? FirstString(ReadOnlySpan<byte> message, int number)
    {
        var fields = Fields(message, number);
        return fields.Count == 0 ? null : Encoding.UTF8.GetString(fields[0].Payload(message));
    }
}
