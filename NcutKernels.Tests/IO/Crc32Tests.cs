// Crc32Tests: the slicing-by-eight CRC-32 gives zlib's check value and agrees with the bit-by-bit definition on any split of any input.
using NcutKernels.IO;
using NUnit.Framework;

namespace NcutKernels.Tests.IO;

[TestFixture]
public class Crc32Tests
{
    /// <summary>The definition, one bit at a time (reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).</summary>
    internal static uint Reference(ReadOnlySpan<byte> bytes)
    {
        uint crc = uint.MaxValue;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    [Test]
    public void CheckValue_IsZlibs()
    {
        var crc = new Crc32();
        crc.Append("123456789"u8);
        Assert.That(crc.Value, Is.EqualTo(0xCBF43926u), "the CRC-32/ISO-HDLC check value (zlib.crc32(b'123456789'))");
        Assert.That(new Crc32().Value, Is.EqualTo(0u), "no bytes");
    }

    [Test]
    public void AnyInput_AnySplit_MatchesTheBitwiseDefinition()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var bytes = new byte[rng.Next(0, 300)];
            rng.NextBytes(bytes);
            int split = rng.Next(bytes.Length + 1);
            var crc = new Crc32();
            crc.Append(bytes.AsSpan(0, split));
            crc.Append(bytes.AsSpan(split));
            Assert.That(crc.Value, Is.EqualTo(Reference(bytes)), $"{bytes.Length} bytes split at {split}");
        }
    }
}
