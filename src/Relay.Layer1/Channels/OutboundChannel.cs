using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;
using Relay.Layer1.OneWay;
using Relay.Layer1.State;

namespace Relay.Layer1.Channels;

/// <summary>
/// The sending half of the channel from this node to one peer. One lock guards its parts:
/// <list type="number">
/// <item><see cref="SendWindow"/>: fragments from queuing (durable first) to the peer's cumulative ack;</item>
/// <item><see cref="PeerAckTracker"/>: the peer's newest ack and the round trips measured from acks;</item>
/// <item><see cref="ResendScheduler"/>: which sent fragments are due again;</item>
/// <item>batching (<see cref="TakeFile"/>): what the next file carries, resends first;</item>
/// <item><see cref="OutboxWriter"/>: the files themselves, written and deleted outside the lock.</item>
/// </list>
/// Every file carries this node's current ack of the reverse channel. A send-only channel hands its
/// files to a <see cref="OneWaySender"/> instead, and neither resends on timeouts nor writes ack-only files.
/// </summary>
internal sealed class OutboundChannel : IDisposable
{
    private readonly NodeContext _context;
    private readonly ChannelCounters _counters;
    private readonly Func<AckState> _currentAck;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ITimer _wakeTimer;

    private readonly SendWindow _window;
    private readonly PeerAckTracker _acks;
    private readonly ResendScheduler _scheduler;
    private readonly OutboxWriter _outbox;
    private readonly MessageSpool _spool;
    private readonly Queue<OutboundFragment> _resendQueue = new();
    private readonly List<OutboundFragment> _due = [];
    private readonly int _bodyBudget;
    private readonly OneWaySender? _oneWay;
    private readonly CongestionWindow? _congestion;

    // The estimate is kept for the next run: at the first sample, then at most this often.
    private static readonly TimeSpan KeepEstimateEvery = TimeSpan.FromSeconds(30);

    // Held ranges outlive at least this, and two timeouts on slower links.
    private static readonly TimeSpan HeldRangesLifetime = TimeSpan.FromSeconds(30);

    private ResendScheduler.NewestArrival _newestArrival;
    private long _keptSamples;
    private long _keptTimestamp;
    private long _nextResendScan;
    private long _lastDataFileTimestamp;
    private long _lastCumulativeAdvance;
    private bool _ackRequested;
    private long _ackRequestedTimestamp;

    public OutboundChannel(NodeContext context, string peer, PeerChannelState state, MessageSpool spool, ChannelCounters counters, Func<AckState> currentAck, OneWaySettings? sendOnly = null, long epoch = 0)
    {
        _context = context;
        _spool = spool;
        Peer = peer;
        _counters = counters;
        _currentAck = currentAck;
        var options = context.Options;
        var roundTrips = new RoundTripEstimator(options.InitialRetransmitTimeout, options.MinRetransmitTimeout, options.MaxRetransmitTimeout);
        SeedEstimate(roundTrips, context, peer);
        _scheduler = new ResendScheduler(context.Time, roundTrips);
        _outbox = new OutboxWriter(context, peer, counters);
        _bodyBudget = BodyBudget(context.Codec, options.MaxFileBytes);
        if (sendOnly is not null)
        {
            _oneWay = new OneWaySender(context, peer, sendOnly, _outbox, counters, spool, currentAck, epoch);
            _bodyBudget = OneWaySender.DataBodyBudget(_bodyBudget, sendOnly);
        }
        else
        {
            // A few files always fit, so a link with noisy delays keeps moving.
            _congestion = new CongestionWindow(context.Time, 2L * _bodyBudget, options.MaxUnacknowledgedBytes);
        }

        _acks = new PeerAckTracker(context.Time, roundTrips, HeldRangesLifetime, _congestion is null ? null : (roundTrip, fragment) => _congestion.OnRoundTrip(roundTrip, fragment.InLinkAtSend));
        var maxFragmentData = _bodyBudget - BodyRecords.AckRecordLength(BodyRecords.MaxAckRanges) - BodyRecords.FragmentHeaderLength;
        _window = new SendWindow(context, peer, state, spool, maxFragmentData);

        // The node's clock, not the thread's, says when the writer looks again: resends, acks and
        // batches follow the TimeProvider, so a fake clock can run hours of a slow link in seconds.
        _wakeTimer = context.Time.CreateTimer(static state => ((OutboundChannel)state!).Wake(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Peer { get; }

    /// <summary>Splits, stores and queues one message; completes once it is durable.</summary>
    public async Task<SentMessage> SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        await (await QueueAsync(payload, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>
    /// Waits for room in the window and queues the message (its bytes are copied: the caller may
    /// reuse them once this returns); the returned task completes once the message is durable.
    /// Messages are sequenced in the order their queuing completes.
    /// </summary>
    public async ValueTask<Task<SentMessage>> QueueAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Task persisted;
        OutboundFragment last;
        long first;
        while (true)
        {
            Task windowOpened;
            lock (_gate)
            {
                if (_window.HasRoomFor(payload.Length))
                {
                    (first, last, persisted) = _window.Enqueue(payload);
                    break;
                }

                windowOpened = _window.Opened;
            }

            await windowOpened.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        // Once queued the message is committed to: cancelling now would leave a gap in the sequence.
        return CompleteWhenDurableAsync(first, last, persisted);
    }

    private async Task<SentMessage> CompleteWhenDurableAsync(long first, OutboundFragment last, Task persisted)
    {
        await persisted.ConfigureAwait(false);
        lock (_gate)
        {
            _window.MarkDurable(last.Sequence);
        }

        Interlocked.Increment(ref _counters.MessagesSent);
        _context.Metrics.MessageSent(Peer);
        Wake();
        return new SentMessage(Peer, first, last.Sequence, last.Acknowledged!.Task);
    }

    /// <summary>Applies the peer's ack of this channel, read from a file it wrote; false when it said nothing new.</summary>
    public bool OnAck(AckState ack)
    {
        List<TaskCompletionSource>? acknowledged;
        bool isNewer;
        lock (_gate)
        {
            var heldBefore = _acks.Held;
            isNewer = _acks.TakeNewer(ack, _window.Unacked, _window.NextUnsentSequence);
            KeepEstimate();
            if (_congestion is not null && isNewer && LeaveLink(heldBefore, ack) && _window.HasUnsent)
            {
                Wake();
            }

            // Whatever leaves the window leaves the link, even what no ack newer than the last covered.
            var (advanced, completions, spooled, cumulative) = _window.Release(ack.Cumulative, _congestion is null ? null : _congestion.OnLeftLink);
            if (!advanced)
            {
                return isNewer;
            }

            acknowledged = completions;
            _lastCumulativeAdvance = _context.Time.GetTimestamp();

            // Spool files go only after their rows: a crash in between leaves unreferenced files, never dangling rows.
            var forgotten = _context.Store.DeleteOutboundAsync(Peer, cumulative);
            ObserveStoreFailure(forgotten);
            if (spooled is not null)
            {
                forgotten.ContinueWith(
                    _ => spooled.ForEach(DeleteSpooled),
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnRanToCompletion,
                    TaskScheduler.Default);
            }

            _outbox.DeleteAcknowledged(cumulative);
        }

        if (acknowledged is not null)
        {
            Interlocked.Add(ref _counters.MessagesAcknowledged, acknowledged.Count);
            foreach (var completion in acknowledged)
            {
                completion.TrySetResult();
            }
        }

        return true;
    }

    // Fragments the ack newly reports held (or covers cumulatively) are off the link; each is visited
    // once, as only what the previous ack did not already list is walked. True when any left.
    private bool LeaveLink(IReadOnlyList<SequenceRange> heldBefore, AckState ack)
    {
        var congestion = _congestion!;
        var unacked = _window.Unacked;
        var inLinkBefore = congestion.InLinkBytes;
        var sentEnd = _window.NextUnsentSequence;
        var newestBefore = _newestArrival.SentTimestamp;
        var newestSent = newestBefore;
        for (var sequence = unacked.FirstSequence; sequence <= Math.Min(ack.Cumulative, sentEnd - 1); sequence++)
        {
            Arrived(unacked[sequence]);
        }

        foreach (var range in AckRanges.Subtract(ack.Ranges, heldBefore))
        {
            for (var sequence = Math.Max(range.From, unacked.FirstSequence); sequence <= Math.Min(range.To, sentEnd - 1); sequence++)
            {
                Arrived(unacked[sequence]);
            }
        }

        if (newestSent > newestBefore)
        {
            // Resends may now be due sooner than the scan planned.
            _nextResendScan = 0;
            Wake();
        }

        return congestion.InLinkBytes < inLinkBefore;

        void Arrived(OutboundFragment fragment)
        {
            // Only a copy still on the link says when it arrived: an earlier copy's arrival would
            // make the round trip look shorter than it is (Karn's rule, applied to time order).
            // A round trip shorter than the link's lowest means an earlier copy arrived late: no evidence.
            var roundTrip = _context.Time.GetElapsedTime(fragment.LastSentTimestamp);
            if (fragment.InLink && fragment.LastSentTimestamp > newestSent && roundTrip >= congestion.BaseRoundTrip)
            {
                newestSent = fragment.LastSentTimestamp;
                _newestArrival = new ResendScheduler.NewestArrival(newestSent, roundTrip, congestion.BaseRoundTrip / 8, _context.Time.GetTimestamp());
            }

            congestion.OnLeftLink(fragment);
        }
    }

    /// <summary>The reverse channel has news for the peer: send an ack soon, alone if nothing else is going.</summary>
    public void RequestAck()
    {
        if (_oneWay is not null)
        {
            // Nothing of the reverse channel is read: there is nothing to acknowledge.
            return;
        }

        lock (_gate)
        {
            if (!_ackRequested)
            {
                _ackRequested = true;
                _ackRequestedTimestamp = _context.Time.GetTimestamp();
            }
        }

        Wake();
    }

    public (long QueuedThrough, int InFlight, long UnacknowledgedBytes, TimeSpan? OldestUnacknowledgedAge, TimeSpan SmoothedRoundTrip, TimeSpan RetransmitTimeout, long? LinkWindowBytes, long BytesOnLink, TimeSpan BaseRoundTrip) Snapshot()
    {
        lock (_gate)
        {
            var unacked = _window.Unacked;
            TimeSpan? oldest = null;
            if (unacked.Count > 0 && unacked[unacked.FirstSequence].LastSentTimestamp > 0)
            {
                oldest = _context.Time.GetElapsedTime(unacked[unacked.FirstSequence].LastSentTimestamp);
            }

            return (_window.NextSequence - 1, unacked.Count, _window.UnacknowledgedBytes, oldest, _acks.RoundTrips.Smoothed, _acks.RoundTrips.RetransmitTimeout,
                _congestion?.Size, _congestion?.InLinkBytes ?? 0, _congestion?.BaseRoundTrip ?? TimeSpan.Zero);
        }
    }

    /// <summary>The channel's writer loop; runs on a thread of its own because it encrypts and writes synchronously.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            OutgoingFile? file;
            TimeSpan wait;
            long lamport;
            lock (_gate)
            {
                file = TakeFile(out wait);
                lamport = _context.Clock.Current;
            }

            if (_oneWay is not null)
            {
                if (file is not null)
                {
                    Settle(_oneWay.Write(file, lamport), file.Fragments);
                    continue;
                }

                // Senders waiting for room wait on this group: it closes now rather than after the idle delay.
                bool pressed;
                lock (_gate)
                {
                    pressed = !_window.HasRoomFor(_bodyBudget);
                }

                if (_oneWay.CloseIdleGroup(lamport, pressed) is { } settled)
                {
                    Settle(settled, []);
                }

                wait = Sooner(Sooner(Sooner(wait, _oneWay.UntilGroupCloses()), _oneWay.UntilQueuedDue()), _oneWay.PurgeIfDue(cancellationToken));
            }
            else if (file is not null)
            {
                if (_outbox.Write(file, lamport))
                {
                    // Stamped again once written: a large file's write time is not part of the round trip.
                    MarkWritten(file.Fragments);
                }
                else
                {
                    lock (_gate)
                    {
                        _ackRequested = true;
                    }
                }

                continue;
            }

            try
            {
                _wakeTimer.Change(wait, Timeout.InfiniteTimeSpan);
                _wake.Wait(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Decides under the lock what the next file carries; null when nothing is due yet.
    private OutgoingFile? TakeFile(out TimeSpan wait)
    {
        var options = _context.Options;
        var now = _context.Time.GetTimestamp();
        if (_oneWay is null && now >= _nextResendScan)
        {
            QueueDueResends(now);
        }

        wait = _oneWay is not null ? Timeout.InfiniteTimeSpan : Min(Timeout.InfiniteTimeSpan, _context.Time.GetElapsedTime(now, _nextResendScan));
        if (_oneWay is { HasQueued: true })
        {
            return Build(Batch(), now);
        }

        if (_resendQueue.Count == 0 && !NewDataMayGo())
        {
            if (!_ackRequested || _oneWay is not null)
            {
                return null;
            }

            var sinceRequest = _context.Time.GetElapsedTime(_ackRequestedTimestamp, now);
            if (sinceRequest < options.AckDelay)
            {
                wait = Min(wait, options.AckDelay - sinceRequest);
                return null;
            }

            return OutgoingFile.Build(TakeAck(), [], _spool);
        }

        // Under load, wait a moment for more small messages so they share a file; an idle channel sends at once.
        var sinceLastFile = _context.Time.GetElapsedTime(_lastDataFileTimestamp, now);
        if (_resendQueue.Count == 0 && _window.UnsentBytes < _bodyBudget / 2 && sinceLastFile < options.Linger)
        {
            wait = Min(wait, options.Linger - sinceLastFile);
            return null;
        }

        return Build(Batch(), now);
    }

    private OutgoingFile? Build(List<OutboundFragment> fragments, long now)
    {
        foreach (var fragment in fragments)
        {
            if (fragment.SendCount > 0)
            {
                Interlocked.Increment(ref _counters.FragmentsResent);
                _context.Metrics.FragmentResent(Peer);
            }

            fragment.SendCount++;
            fragment.LastSentTimestamp = now;
            _congestion?.OnWritten(fragment);
        }

        if (fragments.Count == 0 && !_ackRequested)
        {
            // Every queued resend had been acknowledged meanwhile.
            return null;
        }

        _lastDataFileTimestamp = now;
        return OutgoingFile.Build(TakeAck(), fragments, _spool);
    }

    // Resends first, in sequence order, then new fragments, up to the body budget less room for the
    // largest ack: the ack is taken last, once it is known that a file goes out.
    private List<OutboundFragment> Batch()
    {
        var budget = _bodyBudget - BodyRecords.AckRecordLength(BodyRecords.MaxAckRanges);
        var fragments = new List<OutboundFragment>();
        var used = 0;
        _oneWay?.TakeQueued(fragments, ref used, budget);
        while (_resendQueue.TryPeek(out var resend))
        {
            if (resend.Sequence < _window.Unacked.FirstSequence || (_acks.IsHeld(resend.Sequence) && !resend.Probe))
            {
                _resendQueue.Dequeue();
                resend.QueuedForResend = false;
                continue;
            }

            if (used + resend.RecordLength > budget && fragments.Count > 0)
            {
                break;
            }

            _resendQueue.Dequeue();
            resend.QueuedForResend = false;
            resend.Probe = false;
            fragments.Add(resend);
            used += resend.RecordLength;
        }

        var added = 0L;
        while (_window.HasUnsent)
        {
            var fragment = _window.PeekUnsent();
            if (used + fragment.RecordLength > budget && fragments.Count > 0)
            {
                break;
            }

            if (_congestion is not null && !_congestion.HasRoomFor(added + fragment.DataLength))
            {
                _congestion.MarkLimited();
                break;
            }

            added += fragment.DataLength;

            fragments.Add(fragment);
            used += fragment.RecordLength;
            _window.TakeUnsent(fragment);
        }

        return fragments;
    }

    // A round trip measured before (or the configured expectation) beats the initial timeout: on a
    // link of minute-long sweeps, starting at one second would send everything several times over.
    private static void SeedEstimate(RoundTripEstimator roundTrips, NodeContext context, string peer)
    {
        var smoothed = context.Store.ReadNodeValue(StateStore.RoundTripKey(peer, "smoothed"));
        if (smoothed > 0)
        {
            roundTrips.Seed(TimeSpan.FromMicroseconds(smoothed), TimeSpan.FromMicroseconds(context.Store.ReadNodeValue(StateStore.RoundTripKey(peer, "variation"))));
        }
        else if (context.Options.ExpectedDelay > TimeSpan.Zero)
        {
            roundTrips.Seed(context.Options.ExpectedDelay, context.Options.ExpectedDelay / 2);
        }
    }

    private void KeepEstimate()
    {
        var roundTrips = _acks.RoundTrips;
        var now = _context.Time.GetTimestamp();
        if (roundTrips.Samples == _keptSamples || (_keptSamples > 0 && _context.Time.GetElapsedTime(_keptTimestamp, now) < KeepEstimateEvery))
        {
            return;
        }

        _keptSamples = roundTrips.Samples;
        _keptTimestamp = now;
        ObserveStoreFailure(_context.Store.SetNodeValueAsync(StateStore.RoundTripKey(Peer, "smoothed"), Math.Max(1, (long)roundTrips.Smoothed.TotalMicroseconds)));
        ObserveStoreFailure(_context.Store.SetNodeValueAsync(StateStore.RoundTripKey(Peer, "variation"), (long)roundTrips.Variation.TotalMicroseconds));
    }

    private void QueueDueResends(long now)
    {
        _acks.ForgetStaleHeld(now);
        _due.Clear();
        _nextResendScan = _scheduler.Scan(_window.Unacked, _window.NextUnsentSequence, _acks.Held, _lastCumulativeAdvance, now, _due, _newestArrival);
        foreach (var fragment in _due)
        {
            // Taken for lost: the copy no longer occupies the link, and its resend is counted when written.
            fragment.QueuedForResend = true;
            _congestion?.OnLeftLink(fragment);
            _resendQueue.Enqueue(fragment);
        }
    }

    // Unsent data exists and the link has room for at least its next fragment.
    private bool NewDataMayGo()
    {
        if (!_window.HasUnsent)
        {
            return false;
        }

        if (_congestion is null || _congestion.HasRoomFor(_window.PeekUnsent().DataLength))
        {
            return true;
        }

        _congestion.MarkLimited();
        return false;
    }

    private AckState TakeAck()
    {
        _ackRequested = false;
        return _currentAck();
    }

    // A send-only channel's fragments leave the window once settled (every copy and the group's
    // parity written), in sequence order, and stay in the store, marked sent, for resend requests.
    private void Settle(List<OutboundFragment>? settled, List<OutboundFragment> written)
    {
        if (settled is null)
        {
            // Not one copy reached the folder: the fragments go again, before new ones.
            lock (_gate)
            {
                _oneWay!.QueueAfterFailure(written);
            }

            return;
        }

        MarkWritten(written);
        if (settled.Count == 0)
        {
            return;
        }

        List<TaskCompletionSource>? completions = null;
        lock (_gate)
        {
            foreach (var fragment in settled)
            {
                fragment.Settled = true;
            }

            var through = _window.Unacked.FirstSequence - 1;
            while (_window.Unacked.ContainsSequence(through + 1) && _window.Unacked[through + 1].Settled)
            {
                through++;
            }

            if (through >= _window.Unacked.FirstSequence)
            {
                (_, completions, _, _) = _window.Release(through);
            }
        }

        var sequences = settled.Select(f => f.Sequence).ToList();
        ObserveStoreFailure(_context.Store.MarkSentAsync(Peer, sequences, _context.Time.GetUtcNow()));
        if (completions is not null)
        {
            Interlocked.Add(ref _counters.MessagesAcknowledged, completions.Count);
            foreach (var completion in completions)
            {
                completion.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Writes again, from what the store kept, the fragments of a send-only channel in <paramref name="ranges"/>
    /// that were sent; returns what was queued. Fragments not yet sent go out anyway; what is in
    /// neither was purged (or never existed).
    /// </summary>
    public async Task<IReadOnlyList<SequenceRange>> QueueResendAsync(IReadOnlyList<SequenceRange> ranges, CancellationToken cancellationToken)
    {
        var oneWay = _oneWay ?? throw new InvalidOperationException($"The channel to '{Peer}' is not send-only; it resends by itself.");
        var queued = new List<SequenceRange>();
        foreach (var range in ranges)
        {
            var stored = await _context.Store.ReadSentAsync(Peer, range, _spool).WaitAsync(cancellationToken).ConfigureAwait(false);
            var fragments = stored.Select(row => new OutboundFragment(row.Sequence, (FragmentFlags)row.Flags, row.LamportTime, row.Data) { SendCount = 1 }).ToList();
            lock (_gate)
            {
                oneWay.Queue(fragments);
            }

            foreach (var fragment in fragments)
            {
                if (queued.Count > 0 && queued[^1].To == fragment.Sequence - 1)
                {
                    queued[^1] = new SequenceRange(queued[^1].From, fragment.Sequence);
                }
                else
                {
                    queued.Add(new SequenceRange(fragment.Sequence, fragment.Sequence));
                }
            }
        }

        Wake();
        return queued;
    }

    private void MarkWritten(List<OutboundFragment> fragments)
    {
        var now = _context.Time.GetTimestamp();
        lock (_gate)
        {
            foreach (var fragment in fragments)
            {
                fragment.LastSentTimestamp = now;
                if (fragment.SendCount == 1)
                {
                    fragment.FirstSentTimestamp = now;
                }
            }
        }
    }

    private void DeleteSpooled(long firstSequence)
    {
        try
        {
            _spool.Delete(firstSequence);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left behind, it is removed at the next start as unreferenced.
            Layer1Log.SpoolDeleteFailed(_context.Logger, exception, Peer, firstSequence);
        }
    }

    private void ObserveStoreFailure(Task write) =>
        write.ContinueWith(
            static (task, state) => Layer1Log.StateWriteFailed((Microsoft.Extensions.Logging.ILogger)state!, task.Exception!.GetBaseException()),
            _context.Logger,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (ObjectDisposedException)
        {
            // A timer tick or a late ack after the channel closed: nobody waits any more.
        }
    }

    /// <summary>Called once the writer loop has ended: sends still waiting for window space fail.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _window.Close();
        }

        _wakeTimer.Dispose();
        _wake.Dispose();
    }

    // Infinite (nothing due) is the latest of waits.
    private static TimeSpan Sooner(TimeSpan a, TimeSpan b) =>
        a == Timeout.InfiniteTimeSpan ? b : b == Timeout.InfiniteTimeSpan ? a : b < a ? b : a;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) =>
        a == Timeout.InfiniteTimeSpan ? (b < TimeSpan.Zero ? TimeSpan.Zero : b) : b < a ? (b < TimeSpan.Zero ? TimeSpan.Zero : b) : a;

    // The largest body whose file stays within the configured bound.
    private static int BodyBudget(SegmentCodec codec, int maxFileBytes)
    {
        var body = maxFileBytes;
        while (body > 0 && codec.MaxFileLength(body) > maxFileBytes)
        {
            body -= Math.Max(64, codec.MaxFileLength(body) - maxFileBytes);
        }

        return body;
    }
}
