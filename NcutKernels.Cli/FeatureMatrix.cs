// FeatureMatrix: the n × d features that `ncut fit`, `transform` and `cluster` read — a 2-D float32, float64 or integer .npy, handed to the library as row-major data.
using NcutKernels.IO;
using NcutKernels.Runtime;

namespace NcutKernels.Cli;

/// <summary>A 2-D feature file (n rows of d columns, float32, float64, int32 or int64, C or Fortran order on disk, row-major here).</summary>
internal sealed class FeatureMatrix
{
    private FeatureMatrix(string path, NpyArray array)
    {
        Path = path;
        Array = array;
    }

    /// <summary>Reads <paramref name="path"/>: an <see cref="InvalidDataException"/> naming it unless it holds an n × d array with n ≥ 1 and d ≥ 1.</summary>
    public static FeatureMatrix Read(string path)
    {
        var array = Npy.Read(path);
        if (array.Shape.Length != 2)
            throw new InvalidDataException($"{path}: features must be a 2-D array (n × d), got shape ({string.Join(", ", array.Shape)}).");
        if (array.Shape[0] < 1 || array.Shape[1] < 1)
            throw new InvalidDataException($"{path}: the features are empty, shape ({array.Shape[0]}, {array.Shape[1]}).");
        return new FeatureMatrix(path, array);
    }

    /// <summary>
    /// Throws an <see cref="InvalidDataException"/> naming the file and --n-eig unless there are more rows than the
    /// <paramref name="eigenvectors"/> k an embedding computes (<paramref name="origin"/>: where k came from, when not --n-eig).
    /// </summary>
    public void RequireMoreRowsThan(int eigenvectors, string? origin = null)
    {
        if (Rows <= eigenvectors)
            throw new InvalidDataException(
                $"{Path}: has {Rows} points; --n-eig {eigenvectors}{(origin is null ? "" : $" ({origin})")} eigenvectors need more points than that.");
    }

    /// <summary>
    /// Whether the data is computed in float64 on <paramref name="device"/> (<see cref="EmbedCommand.KeepsFloat64"/>); when float64
    /// data is computed in float32 instead, a line on <paramref name="stdout"/> says so, ending with <paramref name="result"/>.
    /// </summary>
    public bool InFloat64(DeviceKind device, TextWriter stdout, string result = "outputs are float32")
    {
        bool keep = EmbedCommand.KeepsFloat64(Array.IsDouble, device);
        if (Array.IsDouble && !keep)
            stdout.WriteLine($"ncut: float64 input computed in float32 on {device}; {result}");
        return keep;
    }

    /// <summary>The .npy file.</summary>
    public string Path { get; }

    /// <summary>The data as read.</summary>
    public NpyArray Array { get; }

    /// <summary>Rows (n).</summary>
    public int Rows => Array.Shape[0];

    /// <summary>Columns (d).</summary>
    public int Cols => Array.Shape[1];

    /// <summary>The float64 data (the file held float64).</summary>
    public double[] Doubles => Array.Doubles ?? throw new InvalidOperationException($"{Path} holds float32 data.");

    /// <summary>The data in float32: as read, or a converted copy of float64 or integer data.</summary>
    public float[] ToSingles() => Array.Singles
        ?? (Array.Doubles is { } doubles ? System.Array.ConvertAll(doubles, v => (float)v) : System.Array.ConvertAll(Array.Int64s!, v => (float)v));
}
