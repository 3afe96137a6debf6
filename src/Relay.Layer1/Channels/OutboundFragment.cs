using System.Buffers;
using Relay.Layer1.Format;

namespace Relay.Layer1.Channels;

/// <summary>
/// One fragment waiting for the peer's acknowledgement, with its send history. A fragment of a
/// spooled message keeps its bytes in memory only until its first write: after that the spool file
/// is the copy, read again for a resend, so what waits for acks costs disk, not memory.
/// </summary>
internal sealed class OutboundFragment(long sequence, FragmentFlags flags, long lamportTime, ReadOnlyMemory<byte> data)
{
    private byte[]? _pooled;

    public long Sequence { get; } = sequence;

    public FragmentFlags Flags { get; } = flags;

    public long LamportTime { get; } = lamportTime;

    public ReadOnlyMemory<byte> Data { get; private set; } = data;

    /// <summary>The data's length, whether or not the bytes are in memory.</summary>
    public int DataLength { get; private init; } = data.Length;

    /// <summary>The first sequence of the spooled message this fragment belongs to; null when its data is inline.</summary>
    public long? SpoolFirstSequence { get; private init; }

    /// <summary>Where the fragment's data starts in its message's spool file.</summary>
    public long SpoolOffset { get; private init; }

    /// <summary>Whether the data is in memory (inline fragments always; spooled ones until their first write).</summary>
    public bool IsLoaded => Data.Length == DataLength;

    /// <summary>
    /// A fragment of a spooled message: with its data copied into a pooled buffer for the first write,
    /// or, when <paramref name="data"/> is empty and the length is not, with its data left in the spool.
    /// </summary>
    public static OutboundFragment Spooled(long sequence, FragmentFlags flags, long lamportTime, long spoolFirstSequence, long spoolOffset, int length, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return new OutboundFragment(sequence, flags, lamportTime, ReadOnlyMemory<byte>.Empty) { DataLength = length, SpoolFirstSequence = spoolFirstSequence, SpoolOffset = spoolOffset };
        }

        var buffer = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(buffer);
        return new OutboundFragment(sequence, flags, lamportTime, buffer.AsMemory(0, data.Length))
        {
            _pooled = buffer,
            DataLength = length,
            SpoolFirstSequence = spoolFirstSequence,
            SpoolOffset = spoolOffset,
        };
    }

    /// <summary>Drops the in-memory copy of a spooled fragment once it is written; a resend reads the spool.</summary>
    public void Unload()
    {
        if (SpoolFirstSequence.HasValue)
        {
            ReturnBuffer();
        }
    }

    /// <summary>Called once the peer has acknowledged the fragment: nothing reads its data after that.</summary>
    public void ReturnBuffer()
    {
        if (_pooled is { } buffer)
        {
            _pooled = null;
            Data = ReadOnlyMemory<byte>.Empty;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public int SendCount { get; set; }

    public long LastSentTimestamp { get; set; }

    /// <summary>When the first copy went out; bounds the round trip from above when later copies make the ack ambiguous.</summary>
    public long FirstSentTimestamp { get; set; }

    /// <summary>Set on the last fragment of a spooled message: its spool file goes once the peer acknowledges it.</summary>
    public long? SpoolToDelete { get; set; }

    /// <summary>On a send-only channel: every copy of its file and its group's parity are written, so it may leave the window.</summary>
    public bool Settled { get; set; }

    /// <summary>Its newest copy is on the link: written, neither reported held by the peer nor taken for lost.</summary>
    public bool InLink { get; set; }

    /// <summary>The channel's bytes on the link just after its newest copy was written.</summary>
    public long InLinkAtSend { get; set; }

    /// <summary>Queued as a probe: it goes even if the peer reports holding it.</summary>
    public bool Probe { get; set; }

    /// <summary>True while the fragment waits in the resend queue, so a scan does not queue it twice.</summary>
    public bool QueuedForResend { get; set; }

    /// <summary>Completes when the peer acknowledges the message this fragment ends; set on last fragments only.</summary>
    public TaskCompletionSource? Acknowledged { get; set; }

    public int RecordLength => BodyRecords.FragmentHeaderLength + DataLength;
}
