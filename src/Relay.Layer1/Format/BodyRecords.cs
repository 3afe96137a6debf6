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

    // group id (8) + member count (2), then per member: body length (4) + SHA-256 (32)
    private const int ParityFixedLength = 10;
    private const int ParityMemberLength = 4 + 32;

    /// <summary>Most members one parity record lists.</summary>
    public const int MaxParityMembers = 255;

    /// <summary>Bytes of a parity record for <paramref name="members"/> members, besides the XOR data.</summary>
    public static int ParityRecordOverhead(int members) => RecordHeaderLength + ParityFixedLength + (members * ParityMemberLength);

    public static int WriteParity(Span<byte> destination, long groupId, IReadOnlyList<ParityMember> members, ReadOnlySpan<byte> xor)
    {
        var length = ParityFixedLength + (members.Count * ParityMemberLength) + xor.Length;
        destination[0] = (byte)BodyRecordType.Parity;
        BinaryPrimitives.WriteInt32BigEndian(destination[1..], length);
        var payload = destination[RecordHeaderLength..];
        BinaryPrimitives.WriteInt64BigEndian(payload, groupId);
        BinaryPrimitives.WriteUInt16BigEndian(payload[8..], (ushort)members.Count);
        var offset = ParityFixedLength;
        foreach (var member in members)
        {
            BinaryPrimitives.WriteInt32BigEndian(payload[offset..], member.Length);
            member.Hash.CopyTo(payload[(offset + 4)..]);
            offset += ParityMemberLength;
        }

        xor.CopyTo(payload[offset..]);
        return RecordHeaderLength + length;
    }

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
    public static string? TryRead(ReadOnlyMemory<byte> body, List<ReceivedFragment> fragments, out AckState? ack) =>
        TryRead(body, fragments, out ack, out _);

    /// <summary>As <see cref="TryRead(ReadOnlyMemory{byte}, List{ReceivedFragment}, out AckState?)"/>, with the file's parity record, if it has one.</summary>
    public static string? TryRead(ReadOnlyMemory<byte> body, List<ReceivedFragment> fragments, out AckState? ack, out ParityRecord? parity)
    {
        ack = null;
        parity = null;
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
                case BodyRecordType.Parity:
                    if (parity is not null)
                    {
                        return "a second parity record";
                    }

                    if (TryReadParity(body.Slice(start, (int)length), out parity) is { } parityError)
                    {
                        return parityError;
                    }

                    break;
                default:
                    break;
            }

            offset = start + (int)length;
        }

        return ack is null ? "no ack record" : null;
    }

    private static string? TryReadParity(ReadOnlyMemory<byte> record, out ParityRecord? parity)
    {
        parity = null;
        var payload = record.Span;
        if (payload.Length < ParityFixedLength)
        {
            return $"a parity record of {payload.Length} bytes";
        }

        var groupId = BinaryPrimitives.ReadInt64BigEndian(payload);
        var count = BinaryPrimitives.ReadUInt16BigEndian(payload[8..]);
        if (groupId < 0 || count is 0 or > MaxParityMembers || payload.Length < ParityFixedLength + (count * ParityMemberLength))
        {
            return $"a parity record of {payload.Length} bytes for group {groupId} with {count} members";
        }

        var members = new ParityMember[count];
        var longest = 0;
        for (var i = 0; i < count; i++)
        {
            var offset = ParityFixedLength + (i * ParityMemberLength);
            var length = BinaryPrimitives.ReadInt32BigEndian(payload[offset..]);
            if (length < 1)
            {
                return $"parity member {i} of {length} bytes";
            }

            members[i] = new ParityMember(length, payload.Slice(offset + 4, 32).ToArray());
            longest = Math.Max(longest, length);
        }

        var xorStart = ParityFixedLength + (count * ParityMemberLength);
        if (payload.Length - xorStart != longest)
        {
            return $"a parity record with {payload.Length - xorStart} bytes of parity for members of up to {longest} bytes";
        }

        parity = new ParityRecord(groupId, members, record[xorStart..]);
        return null;
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
