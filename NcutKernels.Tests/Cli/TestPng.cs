// TestPng: writes minimal PNG files byte by byte (signature, IHDR, IDAT, IEND with real CRCs), including ones whose header claims a size the data does not have.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NcutKernels.Tests.Cli;

internal static class TestPng
{
    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>
    /// An 8-bit RGB PNG whose IHDR declares <paramref name="width"/> × <paramref name="height"/>; the IDAT holds
    /// <paramref name="rows"/> rows of that width (all of them for a valid file, fewer for a header that lies).
    /// </summary>
    public static byte[] Create(int width, int height, int rows)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: RGB
        Chunk(ms, "IHDR", ihdr);
        var raw = new byte[rows * (1 + 3 * width)];   // each row: filter byte 0, then grey pixels
        for (int i = 0; i < raw.Length; i++)
            raw[i] = i % (1 + 3 * width) == 0 ? (byte)0 : (byte)128;
        using (var idat = new MemoryStream())
        {
            using (var z = new ZLibStream(idat, CompressionLevel.Fastest, leaveOpen: true))
                z.Write(raw);
            Chunk(ms, "IDAT", idat.ToArray());
        }
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>CRC-32 (ISO 3309, as PNG uses it) of <paramref name="data"/>.</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data)
            c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        s.Write(header);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc([.. header.AsSpan(4), .. data]));
        s.Write(crc);
    }
}
