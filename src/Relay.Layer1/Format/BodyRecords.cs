using System.Buffers.Binary;
using Relay.Layer1.Channels;
using Relay.Layer1.State;

namespace Relay.Layer1.Format;

/// <summary>
/// Encodes and decodes the records of a segment body (docs/protocol.md, "Body records"). Each record
/// is <c>type (1 byte) | length (4 bytes, big-endian, unsigned) | payload</c>; unknown types are
/// skipped so a later version can add records that older readers pass over.
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

    /// <summary>Writes the fragment's record; its data comes from memory, or from <paramref name="spool"/> once unloaded.</summary>
    public static int WriteFragment(Span<byte> destination, OutboundFragment fragment, MessageSpool? spool = null)
    {
        var length = 17 + fragment.DataLength;
        destination[0] = (byte)BodyRecordType.Fragment;
        BinaryPrimitives.WriteInt32BigEndian(destination[1..], length);
        var payload = destination[RecordHeaderLength..];
        BinaryPrimitives.WriteInt64BigEndian(payload, fragment.Sequence);
        payload[8] = (byte)fragment.Flags;
        BinaryPrimitives.WriteInt64BigEndian(payload[9..], fragment.LamportTime);
        if (fragment.IsLoaded)
        {
            fragment.Data.Span.CopyTo(payload[17..]);
        }
        else
        {
            if (spool is null)
            {
                throw new InvalidOperationException($"Fragment {fragment.Sequence} is in the spool, and no spool was given.");
            }

            spool.Read(fragment.SpoolFirstSequence!.Value, fragment.SpoolOffset, payload.Slice(17, fragment.DataLength));
        }

        return RecordHeaderLength + length;
    }

    /// <summary>
    /// Reads every record of a body: exactly one ack record, first, then any fragment records and
    /// records of unknown types (skipped), ending exactly at a record's end. Returns null, or what
    /// is wrong (the caller then rejects the whole file as <see cref="FileRejectReason.Malformed"/>
    /// before changing any state). Never throws on bad input.
    /// </summary>
    public static string? TryRead(ReadOnlyMemory<byte> body, List<ReceivedFragment> fragments, out AckState? ack)
    {
        ack = null;
        fragments.Clear();
        var span = body.Span;
        var offset = 0;
        while (offset < span.Length)
        {
            if (span.Length - offset < RecordHeaderLength)
            {
                return $"the body ends inside a record header at offset {offset}";
            }

            var type = (BodyRecordType)span[offset];
            var length = BinaryPrimitives.ReadUInt32BigEndian(span[(offset + 1)..]);
            var start = offset + RecordHeaderLength;
            if (length > (uint)(span.Length - start))
            {
                return $"a record at offset {offset} says {length} bytes, {span.Length - start} remain";
            }

            if (offset == 0 && type != BodyRecordType.Ack)
            {
                return "the first record is not an ack";
            }

            var payload = span.Slice(start, (int)length);
            switch (type)
            {
                case BodyRecordType.Ack:
                    if (ack is not null)
                    {
                        return "a second ack record";
                    }

                    if (TryReadAck(payload, out ack) is { } ackError)
                    {
                        return ackError;
                    }

                    break;
                case BodyRecordType.Fragment:
                    if (length < 17)
                    {
                        return $"a fragment record of {length} bytes";
                    }

                    var sequence = BinaryPrimitives.ReadInt64BigEndian(payload);
                    var flags = (FragmentFlags)payload[8];
                    var lamport = BinaryPrimitives.ReadInt64BigEndian(payload[9..]);
                    if (sequence < 1 || (flags & ~FragmentFlags.Whole) != 0 || lamport < 0)
                    {
                        return $"a fragment with sequence {sequence}, flags {(byte)flags} and Lamport time {lamport}";
                    }

                    fragments.Add(new ReceivedFragment(
                        sequence,
                        flags,
                        lamport,
                        body.Slice(start + 17, (int)length - 17)));
                    break;
                default:
                    break;
            }

            offset = start + (int)length;
        }

        return ack is null ? "no ack record" : null;
    }

    private static string? TryReadAck(ReadOnlySpan<byte> payload, out AckState? ack)
    {
        ack = null;
        if (payload.Length < AckFixedLength)
        {
            return $"an ack record of {payload.Length} bytes";
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(payload[16..]);
        if (count > MaxAckRanges || payload.Length != AckFixedLength + (count * 16))
        {
            return $"an ack record of {payload.Length} bytes with {count} ranges";
        }

        var ackId = BinaryPrimitives.ReadInt64BigEndian(payload);
        var cumulative = BinaryPrimitives.ReadInt64BigEndian(payload[8..]);
        if (ackId < 0 || cumulative < 0)
        {
            return $"an ack with id {ackId} and cumulative {cumulative}";
        }

        var ranges = new SequenceRange[count];
        var previousTo = cumulative;
        for (var i = 0; i < count; i++)
        {
            var from = BinaryPrimitives.ReadInt64BigEndian(payload[(18 + (i * 16))..]);
            var to = BinaryPrimitives.ReadInt64BigEndian(payload[(26 + (i * 16))..]);
            if (from <= previousTo || to < from)
            {
                return $"ack range {i} ({from}-{to}) is out of order";
            }

            ranges[i] = new SequenceRange(from, to);
            previousTo = to;
        }

        ack = new AckState(ackId, cumulative, ranges);
        return null;
    }
}
