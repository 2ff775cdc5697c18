// Npy: reads and writes NumPy .npy files (float32/float64, 1-D or 2-D, C or Fortran order in, C order out).
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace NcutKernels.IO;

/// <summary>
/// Minimal NumPy .npy reader/writer (format versions 1–3): little-endian float32 ('&lt;f4') and float64
/// ('&lt;f8'), 1-D or 2-D. Malformed files raise <see cref="InvalidDataException"/> saying what is wrong.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a .npy file.</summary>
    public static NpyArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads .npy data from a stream.</summary>
    public static NpyArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var head = ReadExactly(stream, 8, "preamble");
        if (!head.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException("not a .npy file (bad magic string).");
        int major = head[6];
        int headerLength = major switch
        {
            1 => BinaryPrimitives.ReadUInt16LittleEndian(ReadExactly(stream, 2, "header length")),
            2 or 3 => checked((int)BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(stream, 4, "header length"))),
            _ => throw new InvalidDataException($"unsupported .npy format version {major}.{head[7]}."),
        };
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(ReadExactly(stream, headerLength, "header"));
        string descr = Field(DescrRegex(), header, "descr");
        bool fortran = Field(FortranRegex(), header, "fortran_order") == "True";
        var shapeText = Field(ShapeRegex(), header, "shape");
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new InvalidDataException($"bad shape entry '{s}'."))
            .ToArray();
        if (shape.Length is < 1 or > 2)
            throw new InvalidDataException($"expected a 1-D or 2-D array, got shape ({shapeText}).");
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count > Array.MaxLength)
            throw new InvalidDataException($"array of {count} elements is too large.");
        int size = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            _ => throw new InvalidDataException($"unsupported dtype '{descr}': only little-endian float32 ('<f4') and float64 ('<f8')."),
        };
        long byteCount = count * size;
        if (byteCount > Array.MaxLength)
            throw new InvalidDataException($"array of {count} × {size}-byte elements ({byteCount} bytes) is too large.");
        if (stream.CanSeek && stream.Length - stream.Position < byteCount)
            throw new InvalidDataException($"file ends inside the data ({stream.Length - stream.Position} of {byteCount} bytes).");
        var bytes = ReadExactly(stream, (int)byteCount, "data");
        float[]? singles = null;
        double[]? doubles = null;
        if (size == 4)
            singles = Reorder(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape, fortran);
        else
            doubles = Reorder(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape, fortran);
        return new NpyArray(shape, singles, doubles);
    }

    /// <summary>Writes a 2-D float32 array (C order).</summary>
    public static void Write(string path, float[,] data) => Write(path, data, "<f4");

    /// <summary>Writes a 2-D float64 array (C order).</summary>
    public static void Write(string path, double[,] data) => Write(path, data, "<f8");

    /// <summary>Writes a 1-D float64 array.</summary>
    public static void Write(string path, double[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        WriteRaw(path, [data.Length], "<f8", System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
    }

    private static void Write<T>(string path, T[,] data, string descr) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var span = data.Length == 0 ? [] : System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref data[0, 0], data.Length);
        WriteRaw(path, [data.GetLength(0), data.GetLength(1)], descr, System.Runtime.InteropServices.MemoryMarshal.AsBytes(span));
    }

    private static void WriteRaw(string path, int[] shape, string descr, ReadOnlySpan<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = Magic.Length + 2 + 2 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        using var f = File.Create(path);
        f.Write(Magic);
        f.WriteByte(1);
        f.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, checked((ushort)header.Length));
        f.Write(len);
        f.Write(Encoding.Latin1.GetBytes(header));
        f.Write(payload);
    }

    private static T[] Reorder<T>(T[] data, int[] shape, bool fortran)
    {
        if (!fortran || shape.Length == 1)
            return data;
        int rows = shape[0], cols = shape[1];
        var c = new T[data.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                c[(long)i * cols + j] = data[(long)j * rows + i];
        return c;
    }

    private static byte[] ReadExactly(Stream s, int count, string what)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int r = s.Read(buffer, read, count - read);
            if (r == 0)
                throw new InvalidDataException($"file ends inside the {what} ({read} of {count} bytes).");
            read += r;
        }
        return buffer;
    }

    private static string Field(Regex regex, string header, string name)
    {
        var m = regex.Match(header);
        if (!m.Success)
            throw new InvalidDataException($"header has no valid '{name}' entry: {header.Trim()}");
        return m.Groups[1].Value;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
