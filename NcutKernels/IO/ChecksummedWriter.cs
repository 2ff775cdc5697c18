// ChecksummedWriter: writes little-endian fields and arrays to a stream and ends them with the CRC-32 of everything written.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace NcutKernels.IO;

/// <summary>The writer twin of <see cref="ChecksummedReader"/>: fields and arrays little-endian, then <see cref="WriteChecksum"/>.</summary>
internal sealed class ChecksummedWriter(Stream stream)
{
    private Crc32 _crc = new();

    public void Write(ReadOnlySpan<byte> bytes)
    {
        stream.Write(bytes);
        _crc.Append(bytes);
    }

    public void Byte(byte value) => Write([value]);

    public void UInt32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Write(b);
    }

    public void Int32(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        Write(b);
    }

    public void Int64(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        Write(b);
    }

    public void Double(double value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, value);
        Write(b);
    }

    /// <summary>The values of <paramref name="data"/> (float, double or int), little-endian, in chunks.</summary>
    public void Array<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        int chunk = ChunkedArray.ChunkBytes / Marshal.SizeOf<T>();
        for (long at = 0; at < data.Length; at += chunk)
            Write(MemoryMarshal.AsBytes(data.Slice((int)at, (int)Math.Min(chunk, data.Length - at))));
    }

    /// <summary>The CRC-32 of every byte written so far, 4 bytes little-endian.</summary>
    public void WriteChecksum()
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, _crc.Value);
        stream.Write(b);
    }
}
