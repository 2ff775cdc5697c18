// ChunkedArray: reads an array of unmanaged values in 16 MiB pieces — straight into the array when the stream's length is known, else gathered and allocated only once every byte has arrived.
using System.Runtime.InteropServices;

namespace NcutKernels.IO;

/// <summary>The chunked reading shared by the file formats (.npy, the saved fit): a hostile length never allocates more than the bytes that really arrive.</summary>
internal static class ChunkedArray
{
    /// <summary>The piece size (bytes) reads and writes go through.</summary>
    public const int ChunkBytes = 1 << 24;

    /// <summary>Fills <paramref name="buffer"/> with the bytes of the array that follow its first <paramref name="before"/> bytes, or throws.</summary>
    public delegate void Fill(Span<byte> buffer, long before);

    /// <summary>
    /// <paramref name="count"/> values of T read through <paramref name="fill"/>: into the array piece by piece when
    /// <paramref name="lengthKnown"/> (the caller has checked that the bytes are there), else into pieces that become the
    /// array only once all of them were read (a stream of unknown length that ends early costs no more than it held).
    /// </summary>
    public static T[] Read<T>(long count, bool lengthKnown, Fill fill) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        long total = count * size;
        if (lengthKnown)
        {
            var data = new T[count];
            int chunk = ChunkBytes / size;
            for (long at = 0; at < count; at += chunk)
                fill(MemoryMarshal.AsBytes(data.AsSpan((int)at, (int)Math.Min(chunk, count - at))), at * size);
            return data;
        }
        var pieces = new List<byte[]>();
        for (long at = 0; at < total; at += ChunkBytes)
        {
            var piece = new byte[Math.Min(ChunkBytes, total - at)];
            fill(piece, at);
            pieces.Add(piece);
        }
        var result = new T[count];
        long offset = 0;
        foreach (var piece in pieces)
        {
            var values = MemoryMarshal.Cast<byte, T>(piece);
            values.CopyTo(result.AsSpan((int)offset, values.Length));
            offset += values.Length;
        }
        return result;
    }
}
