// NpyBytes: builds .npy files byte by byte per the format spec (NEP 1), valid or deliberately broken, for the reader's tests.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using NcutKernels.IO;

namespace NcutKernels.Tests.IO;

internal static class NpyBytes
{
    /// <summary>Reads an in-memory .npy file (seekable stream).</summary>
    public static NpyArray Read(byte[] file) => Npy.Read(new MemoryStream(file));

    public static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// A .npy file: magic, version, header length (2 bytes for v1, 4 for v2/v3), header, data. The header is
    /// <paramref name="dict"/> padded with spaces so that the data starts on a 64-byte boundary (unless
    /// <paramref name="pad"/> is false) and ended by a newline, encoded Latin-1 (v1, v2) or UTF-8 (v3).
    /// </summary>
    public static byte[] Build(string dict, ReadOnlySpan<byte> payload, int major = 1, bool pad = true)
    {
        string header = dict;
        if (pad)
        {
            int unpadded = Magic.Length + 2 + LengthBytes(major) + header.Length + 1;
            header += new string(' ', (64 - unpadded % 64) % 64);
        }
        header += "\n";
        return Build((major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(header), payload, major);
    }

    /// <summary>A .npy file with the given raw header bytes; <paramref name="lengthField"/> overrides the declared header length.</summary>
    public static byte[] Build(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, int major, long? lengthField = null, int minor = 0)
    {
        using var ms = new MemoryStream();
        ms.Write(Magic);
        ms.WriteByte((byte)major);
        ms.WriteByte((byte)minor);
        var length = new byte[LengthBytes(major)];
        long declared = lengthField ?? header.Length;
        if (length.Length == 2)
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)declared);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)declared);
        ms.Write(length);
        ms.Write(header);
        ms.Write(payload);
        return ms.ToArray();
    }

    public static byte[] Bytes(double[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] Bytes(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] Bytes(long[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] Bytes(int[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static int LengthBytes(int major) => major == 1 ? 2 : 4;
}
