// ChecksummedReader: reads little-endian fields and arrays from a stream, checks every declared length against the bytes there before allocating, and keeps a CRC-32 of what it read.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace NcutKernels.IO;

/// <summary>
/// Sequential reader of a binary file format whose last field is the CRC-32 (<see cref="Crc32"/>) of every byte before it.
/// Every failure — the stream ending early, a length beyond the bytes left, a checksum mismatch — is an
/// <see cref="InvalidDataException"/> saying what was being read. Arrays are read only after their size has been checked
/// against what a seekable stream still holds; on a stream of unknown length they are taken in chunks as the bytes arrive,
/// so an overstated length ends at the end of the stream, never in a large allocation.
/// </summary>
internal sealed class ChecksummedReader(Stream stream)
{
    private Crc32 _crc = new();

    /// <summary>Bytes left in a seekable stream; null when its length is unknown.</summary>
    public long? Remaining => stream.CanSeek ? Math.Max(0, stream.Length - stream.Position) : null;

    /// <summary>Throws unless <paramref name="bytes"/> more bytes can still be there (always true when the length is unknown).</summary>
    public void Require(long bytes, string what)
    {
        if (Remaining is { } left && bytes > left)
            throw new InvalidDataException($"the header declares {bytes} bytes of {what}, but only {left} bytes follow (truncated file?).");
    }

    /// <summary>Fills <paramref name="buffer"/> from the stream (checksummed).</summary>
    public void Read(Span<byte> buffer, string what)
    {
        Fill(buffer, what);
        _crc.Append(buffer);
    }

    public byte Byte(string what)
    {
        Span<byte> b = stackalloc byte[1];
        Read(b, what);
        return b[0];
    }

    public uint UInt32(string what)
    {
        Span<byte> b = stackalloc byte[4];
        Read(b, what);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public int Int32(string what)
    {
        Span<byte> b = stackalloc byte[4];
        Read(b, what);
        return BinaryPrimitives.ReadInt32LittleEndian(b);
    }

    public long Int64(string what)
    {
        Span<byte> b = stackalloc byte[8];
        Read(b, what);
        return BinaryPrimitives.ReadInt64LittleEndian(b);
    }

    public double Double(string what)
    {
        Span<byte> b = stackalloc byte[8];
        Read(b, what);
        return BinaryPrimitives.ReadDoubleLittleEndian(b);
    }

    /// <summary>
    /// <paramref name="count"/> little-endian values of T (float, double or int): checked against <see cref="Array.MaxLength"/> and the
    /// bytes left before the array is allocated (see the class summary for streams of unknown length).
    /// </summary>
    public T[] Array<T>(long count, string what) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (count < 0 || count > System.Array.MaxLength)
            throw new InvalidDataException($"the header declares {count} values of {what}, more than an array can hold ({System.Array.MaxLength}).");
        long total = count * size;
        Require(total, what);
        return ChunkedArray.Read<T>(count, stream.CanSeek, (buffer, _) => Read(buffer, what));
    }

    /// <summary>Reads the stored CRC-32 (4 bytes, little-endian, not itself checksummed) and compares it with the bytes read so far.</summary>
    public void ExpectChecksum()
    {
        Span<byte> b = stackalloc byte[4];
        Fill(b, "checksum");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(b), computed = _crc.Value;
        if (stored != computed)
            throw new InvalidDataException($"checksum mismatch (stored CRC-32 {stored:x8}, computed {computed:x8}): the file is corrupted.");
    }

    /// <summary>Throws when a seekable stream holds more bytes (a file must end with its checksum).</summary>
    public void ExpectEnd()
    {
        if (Remaining is > 0 and var extra)
            throw new InvalidDataException($"{extra} bytes follow the checksum: the file is corrupted.");
    }

    private void Fill(Span<byte> buffer, string what)
    {
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new InvalidDataException($"file ends inside the {what} ({read} of {buffer.Length} bytes; truncated file?).");
    }
}
