using System.Buffers.Binary;

namespace Relay.Layer1.Channels;

/// <summary>
/// Encodes and decodes the records of a segment body. Each record is
/// <c>type (1 byte) | length (4 bytes, big-endian) | payload</c>; unknown types are skipped so a
/// later version can add records that older readers pass over.
/// </summary>
internal static class BodyRecords
{
    public const int RecordHeaderLength = 5;

    // seq (8) + flags (1) + lamport (8)
    public const int FragmentHeaderLength = RecordHeaderLength + 17;

    // ack id (8) + cumulative (8) + range count (2)
    private const int AckFixedLength = 18;

    /// <summary>Ranges listed in one ack; the lowest ones matter most for resends.</summary>
    public const int MaxAckRanges = 256;

    public static int AckRecordLength(int rangeCount) => RecordHeaderLength + AckFixedLength + (Math.Min(rangeCount, MaxAckRanges) * 16);

    public static int WriteAck(Span<byte> destination, AckState ack)
    {
        var count = Math.Min(ack.Ranges.Count, MaxAckRanges);
        var length = AckFixedLength + (count * 16);
        destination[0] = (byte)BodyRecordType.Ack;
        BinaryPrimitives.WriteInt32BigEndian(destination[1..], length);
        var payload = destination[RecordHeaderLength..];
        BinaryPrimitives.WriteInt64BigEndian(payload, ack.AckId);
        BinaryPrimitives.WriteInt64BigEndian(payload[8..], ack.Cumulative);
        BinaryPrimitives.WriteUInt16BigEndian(payload[16..], (ushort)count);
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(payload[(18 + (i * 16))..], ack.Ranges[i].From);
            BinaryPrimitives.WriteInt64BigEndian(payload[(26 + (i * 16))..], ack.Ranges[i].To);
        }

        return RecordHeaderLength + length;
    }

    public static int WriteFragment(Span<byte> destination, OutboundFragment fragment)
    {
        var length = 17 + fragment.Data.Length;
        destination[0] = (byte)BodyRecordType.Fragment;
        BinaryPrimitives.WriteInt32BigEndian(destination[1..], length);
        var payload = destination[RecordHeaderLength..];
        BinaryPrimitives.WriteInt64BigEndian(payload, fragment.Sequence);
        payload[8] = (byte)fragment.Flags;
        BinaryPrimitives.WriteInt64BigEndian(payload[9..], fragment.LamportTime);
        fragment.Data.Span.CopyTo(payload[17..]);
        return RecordHeaderLength + length;
    }

    /// <summary>
    /// Reads every record of a body. Returns false (and reads nothing further) when the body is not
    /// well formed; the caller then rejects the whole file before changing any state.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> body, List<ReceivedFragment> fragments, out AckState? ack)
    {
        ack = null;
        fragments.Clear();
        var span = body.Span;
        var offset = 0;
        while (offset < span.Length)
        {
            if (span.Length - offset < RecordHeaderLength)
            {
                return false;
            }

            var type = (BodyRecordType)span[offset];
            var length = BinaryPrimitives.ReadInt32BigEndian(span[(offset + 1)..]);
            var start = offset + RecordHeaderLength;
            if (length < 0 || length > span.Length - start)
            {
                return false;
            }

            var payload = span.Slice(start, length);
            switch (type)
            {
                case BodyRecordType.Ack:
                    if (ack is not null || !TryReadAck(payload, out ack))
                    {
                        return false;
                    }

                    break;
                case BodyRecordType.Fragment:
                    if (length < 17)
                    {
                        return false;
                    }

                    var sequence = BinaryPrimitives.ReadInt64BigEndian(payload);
                    var flags = (FragmentFlags)payload[8];
                    if (sequence < 1 || (flags & ~FragmentFlags.Whole) != 0)
                    {
                        return false;
                    }

                    fragments.Add(new ReceivedFragment(
                        sequence,
                        flags,
                        BinaryPrimitives.ReadInt64BigEndian(payload[9..]),
                        body.Slice(start + 17, length - 17)));
                    break;
                default:
                    break;
            }

            offset = start + length;
        }

        return true;
    }

    private static bool TryReadAck(ReadOnlySpan<byte> payload, out AckState? ack)
    {
        ack = null;
        if (payload.Length < AckFixedLength)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(payload[16..]);
        if (payload.Length != AckFixedLength + (count * 16))
        {
            return false;
        }

        var cumulative = BinaryPrimitives.ReadInt64BigEndian(payload[8..]);
        var ranges = new SequenceRange[count];
        var previousTo = cumulative;
        for (var i = 0; i < count; i++)
        {
            var from = BinaryPrimitives.ReadInt64BigEndian(payload[(18 + (i * 16))..]);
            var to = BinaryPrimitives.ReadInt64BigEndian(payload[(26 + (i * 16))..]);
            if (from <= previousTo || to < from)
            {
                return false;
            }

            ranges[i] = new SequenceRange(from, to);
            previousTo = to;
        }

        if (cumulative < 0)
        {
            return false;
        }

        ack = new AckState(BinaryPrimitives.ReadInt64BigEndian(payload), cumulative, ranges);
        return true;
    }
}
