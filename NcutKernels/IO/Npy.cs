// Npy: reads and writes NumPy .npy files (float32/float64, int32/int64 in and int64 out; 1-D or 2-D, or up to 32-D when asked; C or Fortran order in, C order out; writes are atomic).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace NcutKernels.IO;

/// <summary>
/// NumPy .npy reader/writer for little-endian float32 ('&lt;f4') and float64 ('&lt;f8') arrays of 1 or 2 dimensions
/// (the reader takes up to <see cref="MaxRank"/> when asked, e.g. a B × H × W × C feature tensor), and for integer arrays:
/// the reader takes little-endian int32 ('&lt;i4') and int64 ('&lt;i8') into <see cref="NpyArray.Int64s"/>, and integers are
/// written as int64 ('&lt;i8'), numpy's default integer dtype (what <c>np.array([0, 1])</c> holds on Linux and macOS, and with numpy 2 everywhere). The reader takes format versions 1.0, 2.0 and 3.0 (NEP 1; 3.0 has a UTF-8 header), C or Fortran order, and checks the
/// header the way numpy does (a dict with exactly 'descr', 'fortran_order' and 'shape', no repeated key) and every
/// declared size against the bytes actually there before allocating. Anything malformed or unsupported raises
/// <see cref="InvalidDataException"/> with one printable line (header text quoted at most ~80 characters, control bytes
/// escaped). Writes go through <see cref="StagedFiles"/>: a failed write leaves the target as it was, never truncated.
/// </summary>
public static class Npy
{
    /// <summary>numpy's own default limit on the header length (max_header_size); float arrays need under 200 bytes.</summary>
    public const int MaxHeaderLength = 10000;

    /// <summary>The most dimensions the reader takes (numpy 1.x's own limit, NPY_MAXDIMS).</summary>
    public const int MaxRank = 32;

    /// <summary>Reads a .npy file of 1 or 2 dimensions.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="DirectoryNotFoundException">A folder on <paramref name="path"/> does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is not readable.</exception>
    /// <exception cref="InvalidDataException"><paramref name="path"/> is a folder, or the file is not a .npy this reader supports;
    /// the message starts with the path.</exception>
    public static NpyArray Read(string path) => Read(path, 2);

    /// <summary>Reads a .npy file of 1 to <paramref name="maxRank"/> dimensions.</summary>
    /// <inheritdoc cref="Read(string)" path="/exception"/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRank"/> is outside 1..<see cref="MaxRank"/>.</exception>
    public static NpyArray Read(string path, int maxRank)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckMaxRank(maxRank);
        if (Directory.Exists(path))
            throw new InvalidDataException($"{path}: is a folder, not a .npy file.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return Read(stream, maxRank);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads .npy data of 1 or 2 dimensions from a stream (from its current position).</summary>
    /// <remarks>
    /// On a seekable stream the declared header and data sizes are checked against the stream's length before anything is
    /// allocated; on other streams the data is buffered in chunks as it arrives, so a header that overstates the size fails
    /// at the end of the stream (and the array is briefly held twice).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="InvalidDataException">The data is not a .npy this reader supports.</exception>
    /// <exception cref="IOException">The stream failed.</exception>
    public static NpyArray Read(Stream stream) => Read(stream, 2);

    /// <summary>Reads .npy data of 1 to <paramref name="maxRank"/> dimensions from a stream (from its current position).</summary>
    /// <inheritdoc cref="Read(Stream)" path="/remarks"/>
    /// <inheritdoc cref="Read(Stream)" path="/exception"/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRank"/> is outside 1..<see cref="MaxRank"/>.</exception>
    public static NpyArray Read(Stream stream, int maxRank)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckMaxRank(maxRank);
        var head = new byte[8];
        Fill(stream, head, "preamble", 0, head.Length);
        if (!head.AsSpan(0, 6).SequenceEqual(FileMagic.Npy))
            throw new InvalidDataException(head.AsSpan().SequenceEqual(FileMagic.Fit)
                ? "an ncut fit file, not a .npy file (`ncut transform --fit FIT` reads it)."
                : "not a .npy file (bad magic string).");
        int major = head[6], minor = head[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new InvalidDataException($"unsupported .npy format version {major}.{minor} (this reader takes 1.0, 2.0 and 3.0).");
        var lengthField = new byte[major == 1 ? 2 : 4];
        Fill(stream, lengthField, "header length", 0, lengthField.Length);
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField) : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        if (headerLength > MaxHeaderLength)
            throw new InvalidDataException($"the header length field says {headerLength} bytes, above the {MaxHeaderLength}-byte limit numpy also sets.");
        if (Remaining(stream) is { } left && headerLength > left)
            throw new InvalidDataException($"the header length field says {headerLength} bytes, but only {left} bytes follow.");
        var headerBytes = new byte[headerLength];
        Fill(stream, headerBytes, "header", 0, headerBytes.Length);
        var header = NpyHeader.Parse(Decode(headerBytes, major));

        int size = header.Descr switch
        {
            "<f4" or "<i4" => 4,
            "<f8" or "<i8" => 8,
            ">f4" or ">f8" or ">i4" or ">i8" => throw new InvalidDataException(
                $"unsupported dtype '{header.Descr}': the data is big-endian; convert it with numpy's a.astype('<{header.Descr[1..]}') (only little-endian {Supported} are read)."),
            _ => throw new InvalidDataException(
                $"unsupported dtype '{PrintableText.Excerpt(header.Descr, 40)}': only little-endian {Supported}."),
        };
        var shape = header.Shape;
        if (shape.Length < 1 || shape.Length > maxRank)
            throw new InvalidDataException(maxRank == 2
                ? $"expected a 1-D or 2-D array, got shape {NpyHeader.Format(shape)}."
                : $"expected an array of 1 to {maxRank} dimensions, got shape {NpyHeader.Format(shape)}.");
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count > Array.MaxLength)
            throw new InvalidDataException($"shape {NpyHeader.Format(shape)} has {count} elements, more than the {Array.MaxLength} an array can hold.");
        long byteCount = count * size;
        if (Remaining(stream) is { } available && available < byteCount)
            throw new InvalidDataException($"file ends inside the data ({available} of {byteCount} bytes for shape {NpyHeader.Format(shape)}).");
        bool fortran = header.FortranOrder;
        return header.Descr switch
        {
            "<f4" => new NpyArray(shape, Reorder(ReadData<float>(stream, count), shape, fortran), null, null),
            "<f8" => new NpyArray(shape, null, Reorder(ReadData<double>(stream, count), shape, fortran), null),
            "<i4" => new NpyArray(shape, null, null, Reorder(Array.ConvertAll(ReadData<int>(stream, count), v => (long)v), shape, fortran)),
            _ => new NpyArray(shape, null, null, Reorder(ReadData<long>(stream, count), shape, fortran)), // "<i8", the last the size switch lets through
        };
    }

    /// <summary>The dtypes the reader takes, for its messages.</summary>
    private const string Supported = "float32 ('<f4'), float64 ('<f8'), int32 ('<i4') and int64 ('<i8')";

    /// <summary>Writes a 2-D float32 array (C order) atomically.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or invalid.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a folder, its folder does not exist, or writing failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public static void Write(string path, float[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        StagedFiles.WriteAtomically(path, s => Write(s, data));
    }

    /// <summary>Writes a 2-D float64 array (C order) atomically.</summary>
    /// <inheritdoc cref="Write(string, float[,])" path="/exception"/>
    public static void Write(string path, double[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        StagedFiles.WriteAtomically(path, s => Write(s, data));
    }

    /// <summary>Writes a 1-D float64 array atomically.</summary>
    /// <inheritdoc cref="Write(string, float[,])" path="/exception"/>
    public static void Write(string path, double[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        StagedFiles.WriteAtomically(path, s => Write(s, data));
    }

    /// <summary>Writes a 1-D integer array atomically, as int64 ('&lt;i8', numpy's default integer dtype).</summary>
    /// <inheritdoc cref="Write(string, float[,])" path="/exception"/>
    public static void Write(string path, int[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        StagedFiles.WriteAtomically(path, s => Write(s, data));
    }

    /// <summary>Writes a 1-D integer array (format 1.0) to a stream, as int64 ('&lt;i8', numpy's default integer dtype).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="data"/> is null.</exception>
    public static void Write(Stream stream, int[] data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(data);
        WriteHeader(stream, [data.Length], "<i8");
        var wide = new long[Math.Min(data.Length, ChunkedArray.ChunkBytes / sizeof(long))];
        for (int at = 0; at < data.Length; at += wide.Length)
        {
            int len = Math.Min(wide.Length, data.Length - at);
            for (int i = 0; i < len; i++)
                wide[i] = data[at + i];
            stream.Write(MemoryMarshal.AsBytes(wide.AsSpan(0, len)));
        }
    }

    /// <summary>Writes a 2-D float32 array (C order, format 1.0) to a stream.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="data"/> is null.</exception>
    public static void Write(Stream stream, float[,] data) => WriteMatrix(stream, data, "<f4");

    /// <summary>Writes a 2-D float64 array (C order, format 1.0) to a stream.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="data"/> is null.</exception>
    public static void Write(Stream stream, double[,] data) => WriteMatrix(stream, data, "<f8");

    /// <summary>Writes a 1-D float64 array (format 1.0) to a stream.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="data"/> is null.</exception>
    public static void Write(Stream stream, double[] data)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(data);
        WriteHeader(stream, [data.Length], "<f8");
        WritePayload<double>(stream, data);
    }

    private static void WriteMatrix<T>(Stream stream, T[,] data, string descr) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(data);
        WriteHeader(stream, [data.GetLength(0), data.GetLength(1)], descr);
        if (data.Length > 0)
            WritePayload(stream, MemoryMarshal.CreateReadOnlySpan(ref data[0, 0], data.Length));
    }

    private static void WriteHeader(Stream stream, int[] shape, string descr)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {NpyHeader.Format(shape)}, }}";
        int total = FileMagic.Npy.Length + 2 + 2 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        stream.Write(FileMagic.Npy);
        stream.WriteByte(1);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, checked((ushort)header.Length));
        stream.Write(length);
        stream.Write(Encoding.Latin1.GetBytes(header));
    }

    /// <summary>The payload in chunks (a span of bytes cannot be longer than 2³¹ − 1).</summary>
    private static void WritePayload<T>(Stream stream, ReadOnlySpan<T> data) where T : unmanaged
    {
        int chunk = ChunkedArray.ChunkBytes / Marshal.SizeOf<T>();
        for (long at = 0; at < data.Length; at += chunk)
            stream.Write(MemoryMarshal.AsBytes(data.Slice((int)at, (int)Math.Min(chunk, data.Length - at))));
    }

    /// <summary>Header text: Latin-1 in versions 1 and 2 (as numpy reads it), strict UTF-8 in version 3.</summary>
    private static string Decode(byte[] bytes, int major)
    {
        if (major < 3)
            return Encoding.Latin1.GetString(bytes);
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("the version 3.0 header is not valid UTF-8.");
        }
    }

    /// <summary>Bytes left in a seekable stream; null when its length is unknown.</summary>
    private static long? Remaining(Stream s) => s.CanSeek ? Math.Max(0, s.Length - s.Position) : null;

    private static T[] ReadData<T>(Stream s, long count) where T : unmanaged
    {
        long total = count * Marshal.SizeOf<T>();
        return ChunkedArray.Read<T>(count, s.CanSeek, (buffer, before) => Fill(s, buffer, "data", before, total));
    }

    /// <summary>Fills <paramref name="buffer"/>, the part of <paramref name="what"/> after its first <paramref name="before"/> of <paramref name="total"/> bytes.</summary>
    private static void Fill(Stream s, Span<byte> buffer, string what, long before, long total)
    {
        int read = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new InvalidDataException($"file ends inside the {what} ({before + read} of {total} bytes).");
    }

    private static void CheckMaxRank(int maxRank)
    {
        if (maxRank is < 1 or > MaxRank)
            throw new ArgumentOutOfRangeException(nameof(maxRank), maxRank, $"maxRank must be in 1..{MaxRank}.");
    }

    /// <summary>
    /// The data in C order: unchanged when it is already, else the Fortran-order data transposed (the C-order element at
    /// index (i0, …, ir) is the Fortran-order element at i0 + shape0·(i1 + shape1·(…))).
    /// </summary>
    private static T[] Reorder<T>(T[] data, int[] shape, bool fortran)
    {
        if (!fortran || shape.Length == 1 || data.Length == 0)
            return data;
        int rank = shape.Length;
        var fortranStride = new long[rank];
        fortranStride[0] = 1;
        for (int d = 1; d < rank; d++)
            fortranStride[d] = fortranStride[d - 1] * shape[d - 1];
        var c = new T[data.Length];
        var index = new int[rank];
        long source = 0;
        for (long target = 0; target < c.Length; target++)
        {
            c[target] = data[source];
            // Next C-order index: the last dimension runs fastest.
            for (int d = rank - 1; d >= 0; d--)
            {
                source += fortranStride[d];
                if (++index[d] < shape[d])
                    break;
                source -= fortranStride[d] * shape[d];
                index[d] = 0;
            }
        }
        return c;
    }
}
