// Protobuf: a minimal protocol-buffers wire-format reader and writer (varints and length-delimited fields).
namespace NcutKernels.Cli.Vision;

/// <summary>The protobuf wire types that a field's tag can carry.</summary>
internal enum WireType
{
    /// <summary>A base-128 varint (int32, int64, bool, enum).</summary>
    Varint = 0,

    /// <summary>Eight little-endian bytes (fixed64, double).</summary>
    Fixed64 = 1,

    /// <summary>A varint byte count followed by that many bytes (string, bytes, message, packed repeated).</summary>
    LengthDelimited = 2,

    /// <summary>Four little-endian bytes (fixed32, float).</summary>
    Fixed32 = 5,
}

/// <summary>One field read by <see cref="ProtoReader"/>: its number, wire type, and where it lies in the message.</summary>
/// <param name="Number">The field number from the tag.</param>
/// <param name="Type">The wire type from the tag.</param>
/// <param name="Start">Offset of the tag's first byte in the message.</param>
/// <param name="End">Offset just past the field's last byte.</param>
/// <param name="Varint">The value, for <see cref="WireType.Varint"/> fields (else 0).</param>
/// <param name="PayloadStart">Offset of the value's bytes (after the tag and, for length-delimited fields, the length).</param>
internal readonly record struct ProtoField(int Number, WireType Type, int Start, int End, ulong Varint, int PayloadStart)
{
    /// <summary>The value's bytes within <paramref name="message"/>: a length-delimited payload or a fixed-size value.</summary>
    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> message) => message[PayloadStart..End];
}

/// <summary>Walks the top-level fields of one serialized protobuf message; throws <see cref="InvalidDataException"/> on malformed bytes.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> message)
{
    private readonly ReadOnlySpan<byte> _message = message;
    private int _position;

    /// <summary>Reads the next field; false at the end of the message.</summary>
    public bool Next(out ProtoField field)
    {
        field = default;
        if (_position >= _message.Length)
            return false;
        int start = _position;
        ulong tag = ReadVarint(_message, ref _position);
        if (tag >> 3 is 0 or > int.MaxValue)
            throw new InvalidDataException($"protobuf: invalid field number {tag >> 3} at byte {start}");
        int number = (int)(tag >> 3);
        var type = (WireType)(tag & 7);
        ulong value = 0;
        int payload = _position;
        switch (type)
        {
            case WireType.Varint:
                value = ReadVarint(_message, ref _position);
                break;
            case WireType.Fixed64:
                Skip(8);
                break;
            case WireType.Fixed32:
                Skip(4);
                break;
            case WireType.LengthDelimited:
                ulong length = ReadVarint(_message, ref _position);
                if (length > (ulong)(_message.Length - _position))
                    throw new InvalidDataException($"protobuf: field {number} at byte {start} claims {length} bytes, only {_message.Length - _position} left");
                payload = _position;
                _position += (int)length;
                break;
            default:
                throw new InvalidDataException($"protobuf: unsupported wire type {(int)type} for field {number} at byte {start}");
        }
        field = new ProtoField(number, type, start, _position, value, payload);
        return true;
    }

    /// <summary>The values of a packed repeated varint field's payload.</summary>
    public static List<ulong> PackedVarints(ReadOnlySpan<byte> payload)
    {
        var values = new List<ulong>();
        for (int position = 0; position < payload.Length;)
            values.Add(ReadVarint(payload, ref position));
        return values;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= bytes.Length)
                throw new InvalidDataException($"protobuf: varint runs past the end of the message at byte {position}");
            byte b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidDataException($"protobuf: varint longer than 10 bytes ending at byte {position}");
    }

    private void Skip(int count)
    {
        if (count > _message.Length - _position)
            throw new InvalidDataException($"protobuf: fixed-size field runs past the end of the message at byte {_position}");
        _position += count;
    }
}

/// <summary>Writes protobuf tags, varints and length-delimited fields to a stream.</summary>
internal static class ProtoWriter
{
    /// <summary>Writes <paramref name="value"/> as a base-128 varint.</summary>
    public static void Varint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }

    /// <summary>Writes the tag and length prefix of a length-delimited field <paramref name="number"/> of <paramref name="length"/> bytes.</summary>
    public static void LengthPrefix(Stream output, int number, long length)
    {
        Varint(output, ((ulong)number << 3) | (ulong)WireType.LengthDelimited);
        Varint(output, (ulong)length);
    }

    /// <summary>Writes field <paramref name="number"/> as a length-delimited field holding <paramref name="payload"/>.</summary>
    public static void LengthDelimited(Stream output, int number, ReadOnlySpan<byte> payload)
    {
        LengthPrefix(output, number, payload.Length);
        output.Write(payload);
    }
}
