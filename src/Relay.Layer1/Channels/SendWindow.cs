using Relay.Layer1.Format;
using Relay.Layer1.State;

namespace Relay.Layer1.Channels;

/// <summary>
/// The fragments of a channel that the peer has not acknowledged, from queuing to release: each
/// message is cut into fragments, stored durably (large data spooled to a file first), counted
/// against the window, handed to the writer once durable, and released when the cumulative ack
/// covers it. Not thread-safe: the channel calls it under its lock.
/// </summary>
internal sealed class SendWindow
{
    private readonly NodeContext _context;
    private readonly string _peer;
    private readonly MessageSpool _spool;
    private readonly int _maxFragmentData;
    private TaskCompletionSource _opened = NewSignal();

    /// <summary>
    /// Spooled data waiting for its first write keeps an in-memory copy only while this much waits:
    /// when the link is the bottleneck, what queues behind it is read from the spool instead.
    /// </summary>
    public const long MaxLoadedUnsentBytes = 16L * 1024 * 1024;

    public SendWindow(NodeContext context, string peer, PeerChannelState state, MessageSpool spool, int maxFragmentData)
    {
        _context = context;
        _peer = peer;
        _spool = spool;
        _maxFragmentData = maxFragmentData;
        NextSequence = state.NextSequence;
        var first = state.Outbound.Count > 0 ? state.Outbound[0].Sequence : NextSequence;
        Unacked = new FragmentDeque(first);
        foreach (var stored in state.Outbound)
        {
            // Everything stored survived a restart: it goes out again as if new.
            var fragment = stored.SpoolFirstSequence is { } spoolFirst
                ? OutboundFragment.Spooled(stored.Sequence, (FragmentFlags)stored.Flags, stored.LamportTime, spoolFirst, stored.SpoolOffset, stored.DataLength, [])
                : new OutboundFragment(stored.Sequence, (FragmentFlags)stored.Flags, stored.LamportTime, stored.Data);
            if ((fragment.Flags & FragmentFlags.Last) != 0)
            {
                fragment.SpoolToDelete = stored.SpoolFirstSequence;
            }

            Unacked.Append(fragment);
            UnacknowledgedBytes += stored.DataLength;
            InMemoryBytes += stored.SpoolFirstSequence.HasValue ? 0 : stored.DataLength;
        }

        UnsentBytes = UnacknowledgedBytes;
        DurableThrough = NextSequence - 1;
        NextUnsentSequence = first;
    }

    /// <summary>Unacknowledged fragments, contiguous by sequence number.</summary>
    public FragmentDeque Unacked { get; }

    /// <summary>The sequence number the next fragment queued gets.</summary>
    public long NextSequence { get; private set; }

    /// <summary>Every fragment up to this one is committed to the state store, so it may be written to a file.</summary>
    public long DurableThrough { get; private set; }

    /// <summary>The first fragment never written to a file yet.</summary>
    public long NextUnsentSequence { get; private set; }

    public long UnacknowledgedBytes { get; private set; }

    /// <summary>Data bytes of durable fragments never written yet: what the next files will carry.</summary>
    public long UnsentBytes { get; private set; }

    /// <summary>Completes the next time acknowledged fragments leave the window.</summary>
    public Task Opened => _opened.Task;

    public bool HasUnsent => NextUnsentSequence <= DurableThrough;

    /// <summary>Unacknowledged bytes of small messages, which are kept in memory.</summary>
    public long InMemoryBytes { get; private set; }

    /// <summary>
    /// A message fits when the window is empty (one larger than the window goes alone) or it stays
    /// within the limit, and, if small (kept in memory), within the in-memory part of it.
    /// </summary>
    public bool HasRoomFor(int length) =>
        UnacknowledgedBytes == 0
        || (UnacknowledgedBytes + length <= _context.Options.MaxUnacknowledgedBytes
            && (length >= MessageSpool.Threshold || InMemoryBytes + length <= _context.Options.MaxUnacknowledgedInMemoryBytes));

    /// <summary>Cuts the message into fragments and starts storing them; the task completes once they are durable.</summary>
    /// <exception cref="IOException">The spool file could not be written; nothing was queued.</exception>
    public (long First, OutboundFragment Last, Task Persisted) Enqueue(ReadOnlyMemory<byte> payload)
    {
        var lamport = _context.Clock.Tick();
        var count = Math.Max(1, (int)((payload.Length + (long)_maxFragmentData - 1) / _maxFragmentData));
        var first = NextSequence;
        var spooled = payload.Length >= MessageSpool.Threshold;
        var keepLoaded = UnsentBytes < MaxLoadedUnsentBytes;
        if (spooled)
        {
            // Written before the rows commit, so a committed row always finds its bytes.
            _spool.Write(first, payload.Span);
        }

        var stored = new StoredFragment[count];
        OutboundFragment? last = null;
        for (var i = 0; i < count; i++)
        {
            var offset = i * _maxFragmentData;
            var part = payload.Slice(offset, Math.Min(_maxFragmentData, payload.Length - offset));
            var flags = (i == 0 ? FragmentFlags.First : FragmentFlags.None) | (i == count - 1 ? FragmentFlags.Last : FragmentFlags.None);

            // Large data lives in pooled buffers (fresh large arrays cost a page fault per 4 KiB); small
            // data is stored inline in the database, which wants an array of its own.
            var inline = spooled ? [] : part.ToArray();
            last = spooled ? OutboundFragment.Spooled(NextSequence, flags, lamport, first, offset, part.Length, keepLoaded ? part.Span : []) : new OutboundFragment(NextSequence, flags, lamport, inline);
            Unacked.Append(last);
            stored[i] = new StoredFragment(NextSequence, (byte)flags, lamport, inline, spooled ? first : null, offset, part.Length);
            UnacknowledgedBytes += part.Length;
            InMemoryBytes += spooled ? 0 : part.Length;
            NextSequence++;
        }

        last!.Acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        last.SpoolToDelete = spooled ? first : null;
        var persisted = _context.Store.AppendOutboundAsync(_peer, stored, NextSequence, lamport);
        return (first, last, persisted);
    }

    /// <summary>Commits complete in order, so everything up to the newest committed sequence is durable.</summary>
    public void MarkDurable(long through)
    {
        for (var sequence = DurableThrough + 1; sequence <= through; sequence++)
        {
            if (Unacked.ContainsSequence(sequence) && sequence >= NextUnsentSequence)
            {
                UnsentBytes += Unacked[sequence].DataLength;
            }
        }

        DurableThrough = Math.Max(DurableThrough, through);
    }

    /// <summary>The next fragment never written, once it is durable.</summary>
    public OutboundFragment PeekUnsent() => Unacked[NextUnsentSequence];

    public void TakeUnsent(OutboundFragment fragment)
    {
        UnsentBytes -= fragment.DataLength;
        NextUnsentSequence++;
    }

    /// <summary>
    /// Releases every fragment the cumulative ack covers (clamped to what is durable: a peer cannot
    /// have handled what was never sent); returns whether the window moved, the acknowledged
    /// messages and their spool files.
    /// </summary>
    public (bool Advanced, List<TaskCompletionSource>? Acknowledged, List<long>? Spooled, long Cumulative) Release(long cumulative, Action<OutboundFragment>? released = null)
    {
        cumulative = Math.Min(cumulative, DurableThrough);
        if (cumulative < Unacked.FirstSequence)
        {
            return (false, null, null, cumulative);
        }

        List<TaskCompletionSource>? acknowledged = null;
        List<long>? spooled = null;
        while (Unacked.Count > 0 && Unacked.FirstSequence <= cumulative)
        {
            var fragment = Unacked.RemoveFirst();
            released?.Invoke(fragment);
            UnacknowledgedBytes -= fragment.DataLength;
            InMemoryBytes -= fragment.SpoolFirstSequence.HasValue ? 0 : fragment.DataLength;
            if (fragment.Sequence >= NextUnsentSequence)
            {
                UnsentBytes -= fragment.DataLength;
                NextUnsentSequence = fragment.Sequence + 1;
            }

            if (fragment.Acknowledged is { } completion)
            {
                (acknowledged ??= []).Add(completion);
            }

            if (fragment.SpoolToDelete is { } first)
            {
                (spooled ??= []).Add(first);
            }

            fragment.ReturnBuffer();
        }

        _opened.TrySetResult();
        _opened = NewSignal();
        return (true, acknowledged, spooled, cumulative);
    }

    /// <summary>Sends still waiting for room fail: the channel is closing.</summary>
    public void Close() => _opened.TrySetException(new ObjectDisposedException(nameof(Layer1Node)));

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
