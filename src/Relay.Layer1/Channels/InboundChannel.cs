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
/// </summary>
internal sealed class InboundChannel
{
    private readonly NodeContext _context;
    private readonly ChannelCounters _counters;
    private readonly object _gate = new();
    private readonly SortedDictionary<long, HeldFragment> _held = [];
    private readonly Channel<ReceivedMessage> _deliveries = Channel.CreateUnbounded<ReceivedMessage>(
        new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly long _ackEpoch;

    // Committed marks: what acks may promise.
    private readonly SequenceRangeSet _handled;

    // Everything received and kept, handled or not: what needs no resend while this node runs.
    private readonly SequenceRangeSet _have;
    private readonly GapTracker _gaps;
    private long _durableHandledThrough;
    private long _handledVersion;
    private long _durableHandledVersion;
    private long _nextToDeliver;
    private long _heldBytes;
    private long _ackCounter;

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
        lock (_gate)
        {
            foreach (var fragment in fragments)
            {
                if (_have.Contains(fragment.Sequence))
                {
                    Interlocked.Increment(ref _counters.DuplicateFragments);
                    continue;
                }

                // Past the memory bound only the fragment the stream is waiting for gets in; the rest come again.
                if (_heldBytes + fragment.Data.Length > _context.Options.MaxHeldBytes && fragment.Sequence != _nextToDeliver)
                {
                    continue;
                }

                _held.Add(fragment.Sequence, new HeldFragment(fragment.Flags, fragment.LamportTime, PooledCopy.Of(fragment.Data.Span)));
                _have.Add(fragment.Sequence, fragment.Sequence);
                _gaps.Observe(fragment.Sequence, now);
                _heldBytes += fragment.Data.Length;
                accepted++;
            }

            Interlocked.Add(ref _counters.FragmentsReceived, accepted);
            DeliverReady();
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
        lock (_gate)
        {
            if (_handled.Contains(message.Sequence))
            {
                return;
            }

            _handled.Add(message.Sequence, message.LastSequence);
            _heldBytes -= message.Payload.Length;
            message.ReturnBuffer();
            snapshot = _handled.Serialize();
            version = ++_handledVersion;
            cumulative = _handled.Cumulative;
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

    public (long HandledThrough, long Held, long HighestReceived, long Missing, IReadOnlyList<SequenceGap> Gaps) Snapshot()
    {
        lock (_gate)
        {
            return (_durableHandledThrough, _held.Count, _gaps.Highest, _gaps.Missing, _gaps.Lowest(MaxListedGaps));
        }
    }

    public void Complete() => _deliveries.Writer.TryComplete();

    // Delivers every complete message at the head of the stream, skipping what was handled before a restart.
    private void DeliverReady()
    {
        while (true)
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
            var length = (long)first.Data.Memory.Length;
            var lastFlags = first.Flags;
            while ((lastFlags & FragmentFlags.Last) == 0)
            {
                if (!_held.TryGetValue(last + 1, out var next))
                {
                    return;
                }

                last++;
                length += next.Data.Memory.Length;
                lastFlags = next.Flags;
            }

            PooledCopy payload;
            if (last == _nextToDeliver)
            {
                payload = first.Data;
                _held.Remove(last);
            }
            else
            {
                // Fragments arrive as separate buffers; the application gets the message in one.
                var parts = new List<PooledCopy>((int)(last - _nextToDeliver + 1));
                for (var sequence = _nextToDeliver; sequence <= last; sequence++)
                {
                    parts.Add(_held[sequence].Data);
                    _held.Remove(sequence);
                }

                payload = PooledCopy.Concatenate(parts, (int)length);
            }

            _context.Clock.Observe(first.LamportTime);
            _deliveries.Writer.TryWrite(new ReceivedMessage(Peer, _nextToDeliver, last, first.LamportTime, payload.Memory) { PooledBuffer = payload.Pooled });
            Interlocked.Increment(ref _counters.MessagesDelivered);
            _context.Metrics.MessageDelivered(Peer);
            Layer1Log.MessageDelivered(_context.Logger, Peer, _nextToDeliver, payload.Memory.Length);
            _nextToDeliver = last + 1;
        }
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

    private readonly record struct HeldFragment(FragmentFlags Flags, long LamportTime, PooledCopy Data);
}
