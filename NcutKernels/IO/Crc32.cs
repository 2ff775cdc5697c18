// Crc32: the CRC-32 of zlib, gzip and PNG (reflected polynomial 0xEDB88320), computed eight bytes at a time.
namespace NcutKernels.IO;

/// <summary>
/// A running CRC-32 (ISO-HDLC: zlib's <c>crc32</c>, Python's <c>zlib.crc32</c>): start from <see cref="Crc32()"/>, append bytes,
/// read <see cref="Value"/>. It detects every error burst of up to 32 bits and misses a random corruption with probability 2⁻³².
/// </summary>
internal struct Crc32
{
    /// <summary>Eight lookup tables for slicing by eight: table t advances a byte that is t bytes from the end of a word.</summary>
    private static readonly uint[] Tables = BuildTables();

    private uint _state;

    /// <summary>The CRC of no bytes so far.</summary>
    public Crc32() => _state = uint.MaxValue;

    /// <summary>The CRC of the bytes appended so far.</summary>
    public readonly uint Value => ~_state;

    /// <summary>Appends <paramref name="bytes"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        uint crc = _state;
        var t = Tables;
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            uint lo = crc ^ (uint)(bytes[i] | bytes[i + 1] << 8 | bytes[i + 2] << 16 | bytes[i + 3] << 24);
            uint hi = (uint)(bytes[i + 4] | bytes[i + 5] << 8 | bytes[i + 6] << 16 | bytes[i + 7] << 24);
            crc = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
                ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^ t[256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
        }
        for (; i < bytes.Length; i++)
            crc = t[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
        _state = crc;
    }

    private static uint[] BuildTables()
    {
        var t = new uint[8 * 256];
        for (uint b = 0; b < 256; b++)
        {
            uint c = b;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[b] = c;
        }
        for (int s = 1; s < 8; s++)
            for (int b = 0; b < 256; b++)
                t[s * 256 + b] = t[(s - 1) * 256 + b] >> 8 ^ t[t[(s - 1) * 256 + b] & 0xFF];
        return t;
    }
}
