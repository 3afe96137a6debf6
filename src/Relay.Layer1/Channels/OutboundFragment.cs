using System.Buffers;
using Relay.Layer1.Format;

namespace Relay.Layer1.Channels;

/// <summary>One fragment waiting for the peer's acknowledgement, with its send history.</summary>
internal sealed class OutboundFragment(long sequence, FragmentFlags flags, long lamportTime, ReadOnlyMemory<byte> data)
{
    private byte[]? _pooled;

    public long Sequence { get; } = sequence;

    public FragmentFlags Flags { get; } = flags;

    public long LamportTime { get; } = lamportTime;

    public ReadOnlyMemory<byte> Data { get; private set; } = data;

    /// <summary>A fragment whose data is copied into a pooled buffer, returned by <see cref="ReturnBuffer"/>.</summary>
    public static OutboundFragment Pooled(long sequence, FragmentFlags flags, long lamportTime, ReadOnlySpan<byte> data)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(buffer);
        return new OutboundFragment(sequence, flags, lamportTime, buffer.AsMemory(0, data.Length)) { _pooled = buffer };
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

    /// <summary>True while the fragment waits in the resend queue, so a scan does not queue it twice.</summary>
    public bool QueuedForResend { get; set; }

    /// <summary>Completes when the peer acknowledges the message this fragment ends; set on last fragments only.</summary>
    public TaskCompletionSource? Acknowledged { get; set; }

    public int RecordLength => BodyRecords.FragmentHeaderLength + Data.Length;
}
