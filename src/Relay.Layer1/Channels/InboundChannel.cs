using System.Buffers;
using System.Threading.Channels;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;

namespace Relay.Layer1.Channels;

/// <summary>
/// The receiving half of the channel from one peer to this node. Fragments are deduplicated by
/// sequence number, held until their message is complete and every earlier message has been
/// delivered, then delivered in order. A message counts as done only once the application marks it
/// handled and that mark is committed; the cumulative ack reports only committed marks, so a crash
/// at any point re-delivers what was not handled and never what was.
/// Held fragments live in memory up to <see cref="Layer1Options.MaxHeldInMemoryBytes"/>; beyond it
/// their bytes wait in the channel's <see cref="HeldSpill"/> and are read back when their message's
/// turn comes and memory has room for it.
/// </summary>
internal sealed class InboundChannel : IDisposable
{
    private readonly NodeContext _context;
    private readonly ChannelCounters _counters;
    private readonly object _gate = new();
    private readonly SortedDictionary<long, HeldFragment> _held = [];
    private readonly Channel<ReceivedMessage> _deliveries = Channel.CreateUnbounded<ReceivedMessage>(
        new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly long _ackEpoch;
    private readonly HeldSpill _spill;

    // Committed marks: what acks may promise.
    private readonly SequenceRangeSet _handled;

    // Everything received and kept, handled or not: what needs no resend while this node runs.
    private readonly SequenceRangeSet _have;
    private readonly GapTracker _gaps;
    private long _durableHandledThrough;
    private long _handledVersion;
    private long _durableHandledVersion;
    private long _nextToDeliver;
    private long _ackCounter;
    private bool _completed;

    // Everything held: fragments in memory and on disk, and messages delivered but not yet handled.
    private long _heldBytes;

    // The part of it in memory: fragments held in memory, and messages delivered but not yet handled.
    private long _inMemoryBytes;

    // The part of it that is messages delivered but not yet handled.
    private long _unhandledBytes;

    private long _onDiskBytes;

    // Held fragments lost to a failed read since the last ack was asked for: the peer must hear of it.
    private bool _forgotHeld;

    public InboundChannel(NodeContext context, string peer, SequenceRangeSet handled, long ackEpoch, ChannelCounters counters)
    {
        _context = context;
        Peer = peer;
        _counters = counters;
        _ackEpoch = ackEpoch;
        _handled = handled;
        _have = SequenceRangeSet.Deserialize(handled.Serialize());
        _gaps = new GapTracker(_have, context.Time.GetUtcNow());
        _durableHandledThrough = handled.Cumulative;
        _nextToDeliver = handled.Cumulative + 1;
        _spill = HeldSpill.Open(context.FileSystem, context.Options.StateDirectory, peer, context.Logger);
    }

    public string Peer { get; }

    /// <summary>Set by the node: asks the reverse channel to carry an ack soon.</summary>
    public Action? AckNeeded { get; set; }

    public ChannelReader<ReceivedMessage> Deliveries => _deliveries.Reader;

    /// <summary>Takes the fragments of one authentic file; returns how many were new.</summary>
    public int Accept(List<ReceivedFragment> fragments)
    {
        var accepted = 0;
        var now = _context.Time.GetUtcNow();
        var options = _context.Options;
        lock (_gate)
        {
            // The end of the run, from the fragment the stream waits for, held in memory; found when first needed.
            long? waitedRunEnd = null;
            foreach (var fragment in fragments)
            {
                var sequence = fragment.Sequence;
                var length = fragment.Data.Length;
                if (_have.Contains(sequence))
                {
                    Interlocked.Increment(ref _counters.DuplicateFragments);
                    continue;
                }

                // Past the bound only the fragment the stream is waiting for gets in; the rest come again.
                if (_heldBytes + length > options.MaxHeldBytes && sequence != _nextToDeliver)
                {
                    continue;
                }

                HeldFragment held;
                var waitedFor = _inMemoryBytes + length > options.MaxHeldInMemoryBytes
                    && _unhandledBytes < options.MaxHeldInMemoryBytes
                    && sequence == (waitedRunEnd ??= InMemoryRunEnd()) + 1;
                if (_inMemoryBytes + length <= options.MaxHeldInMemoryBytes || waitedFor)
                {
                    // In memory while there is room; past it, only what the stream needs next, which is
                    // delivered at once: a trip through the disk would only delay it.
                    held = new HeldFragment(fragment.Flags, fragment.LamportTime, length, PooledCopy.Of(fragment.Data.Span), null);
                    _inMemoryBytes += length;
                    if (waitedRunEnd is { } end && sequence == end + 1)
                    {
                        waitedRunEnd = sequence;
                    }
                }
                else if (_spill.TryWrite(fragment.Data.Span, out var location))
                {
                    held = new HeldFragment(fragment.Flags, fragment.LamportTime, length, default, location);
                    _onDiskBytes += length;
                }
                else
                {
                    // Not acknowledged as held, so the sender sends it again.
                    Interlocked.Increment(ref _counters.HeldWritesFailed);
                    continue;
                }

                _held.Add(sequence, held);
                _have.Add(sequence, sequence);
                _gaps.Observe(sequence, now);
                _heldBytes += length;
                accepted++;
            }

            Interlocked.Add(ref _counters.FragmentsReceived, accepted);
            DeliverReady();
            _forgotHeld = false;
        }

        // Duplicates are answered too: they mean the peer has not seen our ack.
        AckNeeded?.Invoke();
        return accepted;
    }

    /// <summary>Commits that a delivered message is handled; completes once the mark is durable.</summary>
    public async Task MarkHandledAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        byte[] snapshot;
        long version;
        long cumulative;
        bool forgot;
        lock (_gate)
        {
            if (_handled.Contains(message.Sequence))
            {
                return;
            }

            _handled.Add(message.Sequence, message.LastSequence);
            _heldBytes -= message.Payload.Length;
            _inMemoryBytes -= message.Payload.Length;
            _unhandledBytes -= message.Payload.Length;
            message.ReturnBuffer();
            snapshot = _handled.Serialize();
            version = ++_handledVersion;
            cumulative = _handled.Cumulative;

            // Memory freed: a message waiting on disk for room may go now.
            DeliverReady();
            forgot = _forgotHeld;
            _forgotHeld = false;
        }

        if (forgot)
        {
            AckNeeded?.Invoke();
        }

        await _context.Store.SaveHandledAsync(Peer, snapshot, _context.Clock.Current).WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _counters.MessagesHandled);
        bool advanced;
        lock (_gate)
        {
            // Commits complete in order; an older snapshot finishing late must not lower the watermark.
            advanced = version > _durableHandledVersion && cumulative > _durableHandledThrough;
            if (version > _durableHandledVersion)
            {
                _durableHandledVersion = version;
                _durableHandledThrough = Math.Max(_durableHandledThrough, cumulative);
            }
        }

        if (advanced)
        {
            AckNeeded?.Invoke();
        }
    }

    /// <summary>The ack to send now: committed cumulative mark plus every range held above it.</summary>
    public AckState CurrentAck()
    {
        lock (_gate)
        {
            var ranges = new List<SequenceRange>();
            if (_have.Cumulative > _durableHandledThrough)
            {
                ranges.Add(new SequenceRange(_durableHandledThrough + 1, _have.Cumulative));
            }

            foreach (var range in _have.RangesAboveCumulative)
            {
                if (ranges.Count == BodyRecords.MaxAckRanges)
                {
                    break;
                }

                ranges.Add(range);
            }

            // 40 bits of counter: at a thousand acks a second it would take 35 years to reach the next epoch's ids.
            return new AckState((_ackEpoch << 40) + ++_ackCounter, _durableHandledThrough, ranges);
        }
    }

    /// <summary>Gaps listed in a status, lowest first; <c>Missing</c> counts them all.</summary>
    public const int MaxListedGaps = 256;

    public InboundSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new InboundSnapshot(_durableHandledThrough, _held.Count, _heldBytes, _onDiskBytes, _gaps.Highest, _gaps.Missing, _gaps.Lowest(MaxListedGaps));
        }
    }

    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
        }

        _deliveries.Writer.TryComplete();
    }

    /// <summary>Deletes the spill files; held data is not needed once the node stops.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _completed = true;
            _spill.Dispose();
        }
    }

    // Delivers every complete message at the head of the stream, skipping what was handled before a restart.
    private void DeliverReady()
    {
        while (!_completed)
        {
            if (_handled.Contains(_nextToDeliver))
            {
                _nextToDeliver = HandledRunEnd(_nextToDeliver) + 1;
                continue;
            }

            if (!_held.TryGetValue(_nextToDeliver, out var first))
            {
                return;
            }

            var last = _nextToDeliver;
            var length = (long)first.Length;
            var onDisk = first.Spilled is null ? 0L : first.Length;
            var lastFlags = first.Flags;
            while ((lastFlags & FragmentFlags.Last) == 0)
            {
                if (!_held.TryGetValue(last + 1, out var next))
                {
                    return;
                }

                last++;
                length += next.Length;
                onDisk += next.Spilled is null ? 0 : next.Length;
                lastFlags = next.Flags;
            }

            // Read back only what memory has room for, or the application would have nothing to work on.
            if (onDisk > 0 && _inMemoryBytes + onDisk > _context.Options.MaxHeldInMemoryBytes && _unhandledBytes > 0)
            {
                return;
            }

            PooledCopy payload;
            if (last == _nextToDeliver && first.Spilled is null)
            {
                payload = first.Data;
                _held.Remove(last);
            }
            else if (Assemble(_nextToDeliver, last, (int)length) is { } assembled)
            {
                payload = assembled;
            }
            else
            {
                return;
            }

            _inMemoryBytes += onDisk;
            _onDiskBytes -= onDisk;
            _unhandledBytes += length;

            _context.Clock.Observe(first.LamportTime);
            _deliveries.Writer.TryWrite(new ReceivedMessage(Peer, _nextToDeliver, last, first.LamportTime, payload.Memory) { PooledBuffer = payload.Pooled });
            Interlocked.Increment(ref _counters.MessagesDelivered);
            _context.Metrics.MessageDelivered(Peer);
            Layer1Log.MessageDelivered(_context.Logger, Peer, _nextToDeliver, payload.Memory.Length);
            _nextToDeliver = last + 1;
        }
    }

    // Fragments arrive as separate buffers, some in memory, some on disk; the application gets the
    // message in one, read from disk straight into it. Null when the disk fails.
    private PooledCopy? Assemble(long from, long to, int length)
    {
        var buffer = length < PooledCopy.Threshold ? new byte[length] : ArrayPool<byte>.Shared.Rent(length);
        var pooled = length < PooledCopy.Threshold ? null : buffer;
        var offset = 0;
        try
        {
            for (var sequence = from; sequence <= to; sequence++)
            {
                var fragment = _held[sequence];
                if (fragment.Spilled is { } location)
                {
                    _spill.Read(location, buffer.AsSpan(offset, fragment.Length));
                }

                offset += fragment.Length;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.HeldReadFailed(_context.Logger, exception, Peer, from);
            if (pooled is not null)
            {
                ArrayPool<byte>.Shared.Return(pooled);
            }

            ForgetSpilled(from, to);
            return null;
        }

        offset = 0;
        for (var sequence = from; sequence <= to; sequence++)
        {
            var fragment = _held[sequence];
            if (fragment.Spilled is { } location)
            {
                _spill.Release(location);
            }
            else
            {
                fragment.Data.Memory.Span.CopyTo(buffer.AsSpan(offset));
                fragment.Data.Return();
            }

            offset += fragment.Length;
            _held.Remove(sequence);
        }

        return new PooledCopy(buffer.AsMemory(0, length), pooled);
    }

    // The message's bytes on disk cannot be read: they are no longer held, so the next ack leaves them
    // out and the sender sends them again, as after a restart.
    private void ForgetSpilled(long from, long to)
    {
        var now = _context.Time.GetUtcNow();
        for (var sequence = from; sequence <= to; sequence++)
        {
            var fragment = _held[sequence];
            if (fragment.Spilled is not { } location)
            {
                continue;
            }

            _spill.Release(location);
            _held.Remove(sequence);
            _have.Remove(sequence);
            _gaps.Reopen(sequence, now);
            _heldBytes -= fragment.Length;
            _onDiskBytes -= fragment.Length;
            Interlocked.Increment(ref _counters.HeldReadsFailed);
        }

        _forgotHeld = true;
    }

    // The last sequence of the run that starts at the next to deliver and is held in memory throughout.
    private long InMemoryRunEnd()
    {
        var end = _nextToDeliver - 1;
        while (_held.TryGetValue(end + 1, out var next) && next.Spilled is null)
        {
            end++;
        }

        return end;
    }

    private long HandledRunEnd(long sequence)
    {
        if (sequence <= _handled.Cumulative)
        {
            return _handled.Cumulative;
        }

        foreach (var range in _handled.RangesAboveCumulative)
        {
            if (range.From <= sequence && sequence <= range.To)
            {
                return range.To;
            }
        }

        return sequence;
    }

    // Data is empty when the bytes are on disk, at Spilled.
    private readonly record struct HeldFragment(FragmentFlags Flags, long LamportTime, int Length, PooledCopy Data, SpilledBytes? Spilled);
}
