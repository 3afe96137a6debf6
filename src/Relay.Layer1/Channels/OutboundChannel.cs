using System.Buffers;
using System.IO.Abstractions;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;
using Relay.Layer1.State;

namespace Relay.Layer1.Channels;

/// <summary>
/// The sending half of the channel from this node to one peer. Messages are split into fragments,
/// stored durably, then written into files by one pump task that batches small fragments, resends
/// what the peer's acks show missing once its timeout passes, and attaches this node's current ack
/// of the reverse channel to every file. Fragments stay in memory and in the state store until the
/// peer's cumulative ack covers them.
/// </summary>
internal sealed class OutboundChannel : IDisposable
{
    private readonly NodeContext _context;
    private readonly ChannelCounters _counters;
    private readonly Func<AckState> _currentAck;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    // Time allowed for files overtaking each other in the folder before a gap counts as a loss.
    private static readonly TimeSpan ReorderingAllowance = TimeSpan.FromMilliseconds(50);

    private readonly Queue<OutboundFragment> _resendQueue = new();
    private readonly PriorityQueue<string, long> _ownDataFiles = new();
    private readonly RoundTripEstimator _roundTrips;
    private readonly int _bodyBudget;
    private readonly int _maxFragmentData;
    private readonly string _channelName;
    private readonly MessageSpool _spool;

    private readonly FragmentDeque _unacked;
    private long _nextSequence;
    private long _durableThrough;
    private long _nextUnsentSequence;
    private long _unackedBytes;
    private long _unsentBytes;
    private long _peerAckId = -1;
    private IReadOnlyList<SequenceRange> _peerHeld = [];
    private long _peerAckTimestamp;
    private long _nextResendScan;
    private long _lastSampledSequence;
    private long _lastDataFileTimestamp;
    private long _lastCumulativeAdvance;
    private bool _ackRequested;
    private long _ackRequestedTimestamp;
    private string? _lastAckOnlyFile;
    private TaskCompletionSource _windowOpened = NewSignal();

    public OutboundChannel(NodeContext context, string peer, PeerChannelState state, MessageSpool spool, ChannelCounters counters, Func<AckState> currentAck)
    {
        _context = context;
        _spool = spool;
        Peer = peer;
        _counters = counters;
        _currentAck = currentAck;
        _channelName = $"{context.NodeId}>{peer}";
        var options = context.Options;
        _roundTrips = new RoundTripEstimator(options.InitialRetransmitTimeout, options.MinRetransmitTimeout, options.MaxRetransmitTimeout);
        _bodyBudget = BodyBudget(context.Codec, options.MaxFileBytes);
        _maxFragmentData = _bodyBudget - BodyRecords.AckRecordLength(BodyRecords.MaxAckRanges) - BodyRecords.FragmentHeaderLength;

        _nextSequence = state.NextSequence;
        var first = state.Outbound.Count > 0 ? state.Outbound[0].Sequence : _nextSequence;
        _unacked = new FragmentDeque(first);
        foreach (var stored in state.Outbound)
        {
            // Everything stored survived a restart: it goes out again as if new.
            var fragment = new OutboundFragment(stored.Sequence, (FragmentFlags)stored.Flags, stored.LamportTime, stored.Data);
            if ((fragment.Flags & FragmentFlags.Last) != 0)
            {
                fragment.SpoolToDelete = stored.SpoolFirstSequence;
            }

            _unacked.Append(fragment);
            _unackedBytes += stored.Data.Length;
        }

        _unsentBytes = _unackedBytes;
        _durableThrough = _nextSequence - 1;
        _nextUnsentSequence = first;
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
                if (_unackedBytes == 0 || _unackedBytes + payload.Length <= _context.Options.MaxUnacknowledgedBytes)
                {
                    (first, last, persisted) = Enqueue(payload);
                    break;
                }

                windowOpened = _windowOpened.Task;
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
            MarkDurable(last.Sequence);
        }

        Interlocked.Increment(ref _counters.MessagesSent);
        _context.Metrics.MessageSent(Peer);
        Wake();
        return new SentMessage(Peer, first, last.Sequence, last.Acknowledged!.Task);
    }

    /// <summary>Applies the peer's ack of this channel, read from a file it wrote; false when it said nothing new.</summary>
    public bool OnAck(AckState ack)
    {
        List<TaskCompletionSource>? acknowledged = null;
        List<long>? spoolsToDelete = null;
        var isNewer = false;
        lock (_gate)
        {
            if (ack.AckId > _peerAckId)
            {
                _peerAckId = ack.AckId;
                _peerHeld = ack.Ranges;
                _peerAckTimestamp = _context.Time.GetTimestamp();
                isNewer = true;
                SampleRoundTrip(ack);
            }

            // A peer cannot have handled what was never sent; a bogus ack is clamped, not trusted.
            var cumulative = Math.Min(ack.Cumulative, _durableThrough);
            if (cumulative < _unacked.FirstSequence)
            {
                return isNewer;
            }

            var now = _context.Time.GetTimestamp();
            while (_unacked.Count > 0 && _unacked.FirstSequence <= cumulative)
            {
                var fragment = _unacked.RemoveFirst();
                _unackedBytes -= fragment.Data.Length;
                if (fragment.Sequence >= _nextUnsentSequence)
                {
                    _unsentBytes -= fragment.Data.Length;
                    _nextUnsentSequence = fragment.Sequence + 1;
                }

                if (fragment.Acknowledged is { } completion)
                {
                    (acknowledged ??= []).Add(completion);
                }

                if (fragment.SpoolToDelete is { } spooled)
                {
                    (spoolsToDelete ??= []).Add(spooled);
                }

                fragment.ReturnBuffer();
            }

            _lastCumulativeAdvance = now;

            // Spool files go only after their rows: a crash in between leaves unreferenced files, never dangling rows.
            var forgotten = _context.Store.DeleteOutboundAsync(Peer, cumulative);
            ObserveStoreFailure(forgotten);
            if (spoolsToDelete is not null)
            {
                forgotten.ContinueWith(
                    _ => spoolsToDelete.ForEach(DeleteSpooled),
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnRanToCompletion,
                    TaskScheduler.Default);
            }
            DeleteAcknowledgedFiles(cumulative);
            _windowOpened.TrySetResult();
            _windowOpened = NewSignal();
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

    /// <summary>The reverse channel has news for the peer: send an ack soon, alone if nothing else is going.</summary>
    public void RequestAck()
    {
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

    public (long QueuedThrough, int InFlight, long UnacknowledgedBytes, TimeSpan? OldestUnacknowledgedAge, TimeSpan SmoothedRoundTrip, TimeSpan RetransmitTimeout) Snapshot()
    {
        lock (_gate)
        {
            TimeSpan? oldest = null;
            if (_unacked.Count > 0 && _unacked[_unacked.FirstSequence].LastSentTimestamp > 0)
            {
                oldest = _context.Time.GetElapsedTime(_unacked[_unacked.FirstSequence].LastSentTimestamp);
            }

            return (_nextSequence - 1, _unacked.Count, _unackedBytes, oldest, _roundTrips.Smoothed, _roundTrips.RetransmitTimeout);
        }
    }

    /// <summary>The channel's writer loop; runs on a thread of its own because it encrypts and writes synchronously.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            PendingFile? file;
            TimeSpan wait;
            lock (_gate)
            {
                file = TakeFile(out wait);
            }

            if (file is not null)
            {
                WriteFile(file);
                continue;
            }

            try
            {
                _wake.Wait(wait, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private (long First, OutboundFragment Last, Task Persisted) Enqueue(ReadOnlyMemory<byte> payload)
    {
        var lamport = _context.Clock.Tick();
        var count = Math.Max(1, (int)((payload.Length + (long)_maxFragmentData - 1) / _maxFragmentData));
        var first = _nextSequence;
        var spooled = payload.Length >= MessageSpool.Threshold;
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
            last = spooled ? OutboundFragment.Pooled(_nextSequence, flags, lamport, part.Span) : new OutboundFragment(_nextSequence, flags, lamport, inline);
            _unacked.Append(last);
            stored[i] = new StoredFragment(_nextSequence, (byte)flags, lamport, inline, spooled ? first : null, offset, part.Length);
            _unackedBytes += part.Length;
            _nextSequence++;
        }

        last!.Acknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        last.SpoolToDelete = spooled ? first : null;
        var persisted = _context.Store.AppendOutboundAsync(Peer, stored, _nextSequence, lamport);
        return (first, last, persisted);
    }

    private void MarkDurable(long through)
    {
        // Commits complete in order, so everything up to the newest committed sequence is durable.
        for (var sequence = _durableThrough + 1; sequence <= through; sequence++)
        {
            if (_unacked.ContainsSequence(sequence) && sequence >= _nextUnsentSequence)
            {
                _unsentBytes += _unacked[sequence].Data.Length;
            }
        }

        _durableThrough = Math.Max(_durableThrough, through);
    }

    // Decides under the lock what the next file carries; null when nothing is due yet.
    private PendingFile? TakeFile(out TimeSpan wait)
    {
        var options = _context.Options;
        var now = _context.Time.GetTimestamp();
        wait = Timeout.InfiniteTimeSpan;
        if (now >= _nextResendScan)
        {
            ScanForResends(now);
        }

        wait = Min(wait, _context.Time.GetElapsedTime(now, _nextResendScan));
        var unsentReady = _nextUnsentSequence <= _durableThrough;
        if (_resendQueue.Count == 0 && !unsentReady)
        {
            if (!_ackRequested)
            {
                return null;
            }

            var sinceRequest = _context.Time.GetElapsedTime(_ackRequestedTimestamp, now);
            if (sinceRequest < options.AckDelay)
            {
                wait = Min(wait, options.AckDelay - sinceRequest);
                return null;
            }

            return BuildFile(TakeAck(), []);
        }

        // Under load, wait a moment for more small messages so they share a file; an idle channel sends at once.
        var sinceLastFile = _context.Time.GetElapsedTime(_lastDataFileTimestamp, now);
        if (_resendQueue.Count == 0 && _unsentBytes < _bodyBudget / 2 && sinceLastFile < options.Linger)
        {
            wait = Min(wait, options.Linger - sinceLastFile);
            return null;
        }

        // Room for the largest ack: the ack is taken last, once it is known that a file goes out.
        var budget = _bodyBudget - BodyRecords.AckRecordLength(BodyRecords.MaxAckRanges);
        var fragments = new List<OutboundFragment>();
        var used = 0;
        while (_resendQueue.TryPeek(out var resend))
        {
            if (resend.Sequence < _unacked.FirstSequence || AckRanges.Contains(_peerHeld, resend.Sequence))
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
            fragments.Add(resend);
            used += resend.RecordLength;
        }

        while (_nextUnsentSequence <= _durableThrough)
        {
            var fragment = _unacked[_nextUnsentSequence];
            if (used + fragment.RecordLength > budget && fragments.Count > 0)
            {
                break;
            }

            fragments.Add(fragment);
            used += fragment.RecordLength;
            _unsentBytes -= fragment.Data.Length;
            _nextUnsentSequence++;
        }

        foreach (var fragment in fragments)
        {
            if (fragment.SendCount > 0)
            {
                Interlocked.Increment(ref _counters.FragmentsResent);
                _context.Metrics.FragmentResent(Peer);
            }

            fragment.SendCount++;
            fragment.LastSentTimestamp = now;
        }

        if (fragments.Count == 0 && !_ackRequested)
        {
            // Every queued resend had been acknowledged meanwhile.
            return null;
        }

        _lastDataFileTimestamp = now;
        return BuildFile(TakeAck(), fragments);
    }

    // Copies the records into the body under the lock, so a fragment's pooled buffer can go back to
    // the pool as soon as it is acknowledged, whatever the writer is doing.
    private static PendingFile BuildFile(AckState ack, List<OutboundFragment> fragments)
    {
        var length = BodyRecords.AckRecordLength(ack.Ranges.Count);
        foreach (var fragment in fragments)
        {
            length += fragment.RecordLength;
        }

        var body = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        var offset = BodyRecords.WriteAck(body, ack);
        long maxSequence = 0;
        foreach (var fragment in fragments)
        {
            offset += BodyRecords.WriteFragment(body.AsSpan(offset), fragment);
            maxSequence = Math.Max(maxSequence, fragment.Sequence);
        }

        return new PendingFile(body, offset, fragments, maxSequence);
    }

    private AckState TakeAck()
    {
        _ackRequested = false;
        return _currentAck();
    }

    // Round trips are measured to the newest fragment the peer reports holding, not to the cumulative
    // ack: a fragment waiting behind a lost one would count the recovery time as path delay, inflate
    // the timeout, and slow the next recovery in turn. Karn's rule: only fragments sent once count.
    private void SampleRoundTrip(AckState ack)
    {
        var top = Math.Min(Math.Max(ack.Cumulative, ack.Ranges.Count > 0 ? ack.Ranges[^1].To : 0), _nextUnsentSequence - 1);
        if (top <= _lastSampledSequence || top < _unacked.FirstSequence || top >= _unacked.FirstSequence + _unacked.Count)
        {
            return;
        }

        _lastSampledSequence = top;
        var fragment = _unacked[top];
        if (fragment.SendCount == 1)
        {
            _roundTrips.AddSample(_context.Time.GetElapsedTime(fragment.LastSentTimestamp, _context.Time.GetTimestamp()));
        }
    }

    // Queues for resending every sent fragment whose backed-off timeout has passed and that the peer's newest ack does not list.
    private void ScanForResends(long now)
    {
        // Held ranges are a hint from memory the peer may have lost; one not refreshed for the longest
        // timeout no longer holds anything back.
        if (_peerHeld.Count > 0 && _context.Time.GetElapsedTime(_peerAckTimestamp, now) > _context.Options.MaxRetransmitTimeout)
        {
            _peerHeld = [];
        }

        var frequency = _context.Time.TimestampFrequency;
        var next = now + (long)(_roundTrips.RetransmitTimeout.TotalSeconds * frequency);

        // Loss detection from selective acks (in the spirit of RFC 8985): a fragment the peer does not
        // hold, below one it does, is lost once a round trip and a reordering allowance have passed
        // since it was sent; it goes again at once instead of waiting out the backed-off timeout.
        var highestHeld = _peerHeld.Count > 0 ? _peerHeld[^1].To : 0;
        var smoothed = _roundTrips.Smoothed;
        var lossWindow = (long)((smoothed + (smoothed / 4 > ReorderingAllowance ? smoothed / 4 : ReorderingAllowance)).TotalSeconds * frequency);
        for (var sequence = _unacked.FirstSequence; sequence < _nextUnsentSequence; sequence++)
        {
            var fragment = _unacked[sequence];
            if (fragment.SendCount == 0 || fragment.QueuedForResend || AckRanges.Contains(_peerHeld, sequence))
            {
                continue;
            }

            // The timeout restarts whenever the cumulative ack advances (RFC 6298, 5.3): while the peer keeps
            // consuming, fragments queued behind are late, not lost.
            var since = Math.Max(fragment.LastSentTimestamp, _lastCumulativeAdvance);
            var due = since + (long)(_roundTrips.BackedOff(fragment.SendCount).TotalSeconds * frequency);
            if (sequence < highestHeld)
            {
                due = Math.Min(due, fragment.LastSentTimestamp + lossWindow);
            }

            if (due <= now)
            {
                fragment.QueuedForResend = true;
                _resendQueue.Enqueue(fragment);
            }
            else if (due < next)
            {
                next = due;
            }
        }

        // A floor keeps a burst of nearly-due fragments from turning the pump into a busy loop.
        _nextResendScan = Math.Max(next, now + (_context.Time.TimestampFrequency / 200));
    }

    private void WriteFile(PendingFile file)
    {
        var fileSystem = _context.FileSystem;
        var outbox = _context.Options.Outbox;
        var name = SegmentFileName.Create(_context.NodeId, Peer, _context.NextFileNumber());
        var body = file.Body;
        var offset = file.BodyLength;
        var temporaryPath = fileSystem.Path.Combine(outbox, SegmentFileName.TemporaryNameFor(name));
        try
        {
            var manifest = new SegmentManifest
            {
                Version = SegmentCodec.ProtocolVersion,
                Sender = _context.NodeId,
                Recipient = Peer,
                Channel = _channelName,
                FileName = name,
                CreatedAt = _context.Time.GetUtcNow(),
                LamportTime = _context.Clock.Current,
                BodyLength = offset,
            };
            long fileLength;
            using (var stream = fileSystem.FileStream.New(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                _context.Codec.Write(stream, manifest, body.AsSpan(0, offset));
                fileLength = stream.Length;
            }

            fileSystem.File.Move(temporaryPath, fileSystem.Path.Combine(outbox, name), overwrite: true);
            Interlocked.Increment(ref _counters.FilesWritten);
            Interlocked.Exchange(ref _counters.LastFileWrittenUnixMs, _context.Time.GetUtcNow().ToUnixTimeMilliseconds());
            Interlocked.Add(ref _counters.BodyBytesWritten, offset);
            Interlocked.Add(ref _counters.FileBytesWritten, fileLength);
            _context.Metrics.FileWritten(Peer, offset);
            Layer1Log.FileWritten(_context.Logger, name, file.Fragments.Count, offset);
            RememberOwnFile(name, file.Fragments.Count == 0 ? 0 : file.MaxSequence);

            // Stamped again once written: a large file's write time is not part of the round trip.
            MarkWritten(file.Fragments);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The fragments count as sent; the resend timer brings them back once the folder recovers.
            Layer1Log.FileWriteFailed(_context.Logger, exception, name, Peer);
            _counters.WriteFailed(exception.Message, _context.Time.GetUtcNow());
            TryDelete(temporaryPath);
            lock (_gate)
            {
                _ackRequested = true;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private void MarkWritten(List<OutboundFragment> fragments)
    {
        var now = _context.Time.GetTimestamp();
        lock (_gate)
        {
            foreach (var fragment in fragments)
            {
                fragment.LastSentTimestamp = now;
            }
        }
    }

    private void RememberOwnFile(string name, long maxSequence)
    {
        string? superseded = null;
        lock (_gate)
        {
            if (maxSequence == 0)
            {
                // Acks are state: a newer ack-only file makes the previous one worthless.
                superseded = _lastAckOnlyFile;
                _lastAckOnlyFile = name;
            }
            else if (maxSequence <= _unacked.FirstSequence - 1)
            {
                superseded = name;
            }
            else
            {
                _ownDataFiles.Enqueue(name, maxSequence);
            }
        }

        if (superseded is not null)
        {
            TryDelete(_context.FileSystem.Path.Combine(_context.Options.Outbox, superseded));
        }
    }

    private void DeleteAcknowledgedFiles(long cumulative)
    {
        while (_ownDataFiles.TryPeek(out var name, out var maxSequence) && maxSequence <= cumulative)
        {
            _ownDataFiles.Dequeue();
            TryDelete(_context.FileSystem.Path.Combine(_context.Options.Outbox, name));
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

    private void TryDelete(string path)
    {
        try
        {
            _context.FileSystem.File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.FileDeleteFailed(_context.Logger, exception, path);
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
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Called once the writer loop has ended: sends still waiting for window space fail.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _windowOpened.TrySetException(new ObjectDisposedException(nameof(Layer1Node)));
        }

        _wake.Dispose();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) =>
        a == Timeout.InfiniteTimeSpan ? (b < TimeSpan.Zero ? TimeSpan.Zero : b) : b < a ? (b < TimeSpan.Zero ? TimeSpan.Zero : b) : a;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

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

    private sealed record PendingFile(byte[] Body, int BodyLength, List<OutboundFragment> Fragments, long MaxSequence);
}
