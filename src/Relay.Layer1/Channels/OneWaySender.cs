using System.Buffers;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;
using Relay.Layer1.OneWay;
using Relay.Layer1.State;

namespace Relay.Layer1.Channels;

/// <summary>
/// The writing side of a send-only channel (<see cref="PeerDirection.SendOnly"/>), where no ack ever
/// comes back:
/// <list type="number">
/// <item>each data file is written <see cref="OneWaySettings.Redundancy"/> times, each copy sealed under its own name;</item>
/// <item>after every <see cref="OneWaySettings.ParityEvery"/> data files, one parity file covers the group (<see cref="ParityGroup"/>);</item>
/// <item>a fragment is settled once every copy of its file and its group's parity are written: the
///   channel then lets it leave the window, and the store keeps it, marked sent, for
///   <see cref="OneWaySettings.KeepSentFor"/> so a resend request can still be served;</item>
/// <item>fragments whose file could not be written at all, and fragments an operator asked for
///   again, wait in a queue of their own and go before new ones.</item>
/// </list>
/// The queue is guarded by the channel's lock; writing happens on the channel's writer thread.
/// </summary>
internal sealed class OneWaySender
{
    // A group left open this long without a new data file is closed with fewer members, so the
    // last files of a burst do not wait for traffic that may never come.
    public static readonly TimeSpan GroupIdleClose = TimeSpan.FromMilliseconds(200);

    private readonly NodeContext _context;
    private readonly string _peer;
    private readonly OutboxWriter _outbox;
    private readonly ChannelCounters _counters;
    private readonly MessageSpool _spool;
    private readonly Func<AckState> _currentAck;
    private readonly Queue<OutboundFragment> _queued = new();
    private readonly List<OutboundFragment> _awaitingParity = [];
    private readonly ParityGroup? _group;
    private readonly TimeSpan _purgeEvery;
    private long _groupCounter;
    private long _lastDataFileTimestamp;
    private long _nextPurgeTimestamp;
    private long _queuedNotBefore;

    // After a file could not be written at all, the folder gets this long before its fragments are tried again.
    private static readonly TimeSpan RetryWriteAfter = TimeSpan.FromSeconds(1);

    public OneWaySender(NodeContext context, string peer, OneWaySettings settings, OutboxWriter outbox, ChannelCounters counters, MessageSpool spool, Func<AckState> currentAck, long groupEpoch)
    {
        _context = context;
        _peer = peer;
        Settings = settings;
        _outbox = outbox;
        _counters = counters;
        _spool = spool;
        _currentAck = currentAck;
        _group = settings.ParityEvery > 0 ? new ParityGroup(settings.ParityEvery) : null;

        // Group ids rise across restarts: the epoch is raised at every start, the counter counts groups since.
        _groupCounter = groupEpoch << 32;
        _purgeEvery = TimeSpan.FromTicks(Math.Clamp(settings.KeepSentFor.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromMinutes(1).Ticks));
    }

    public OneWaySettings Settings { get; }

    /// <summary>The most body a data file may carry so that its group's parity file still fits the file bound.</summary>
    public static int DataBodyBudget(int bodyBudget, OneWaySettings settings) =>
        settings.ParityEvery == 0 ? bodyBudget : bodyBudget - BodyRecords.AckRecordLength(0) - BodyRecords.ParityRecordOverhead(settings.ParityEvery);

    /// <summary>Fragments waiting to be written before new ones (under the channel's lock).</summary>
    public bool HasQueued => _queued.Count > 0 && _context.Time.GetTimestamp() >= _queuedNotBefore;

    /// <summary>How long until queued fragments may be written; infinite when none wait.</summary>
    public TimeSpan UntilQueuedDue()
    {
        if (_queued.Count == 0)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var now = _context.Time.GetTimestamp();
        return now >= _queuedNotBefore ? TimeSpan.Zero : _context.Time.GetElapsedTime(now, _queuedNotBefore);
    }

    /// <summary>Queues again the fragments of a file the folder refused, to be tried after <see cref="RetryWriteAfter"/> (under the channel's lock).</summary>
    public void QueueAfterFailure(IEnumerable<OutboundFragment> fragments)
    {
        _queuedNotBefore = _context.Time.GetTimestamp() + (long)(RetryWriteAfter.TotalSeconds * _context.Time.TimestampFrequency);
        Queue(fragments);
    }

    /// <summary>Adds fragments to write again, before new ones (under the channel's lock).</summary>
    public void Queue(IEnumerable<OutboundFragment> fragments)
    {
        foreach (var fragment in fragments)
        {
            _queued.Enqueue(fragment);
        }
    }

    /// <summary>Moves queued fragments into the next file's batch, up to the budget (under the channel's lock).</summary>
    public void TakeQueued(List<OutboundFragment> fragments, ref int used, int budget)
    {
        if (!HasQueued)
        {
            return;
        }

        while (_queued.TryPeek(out var fragment))
        {
            if (used + fragment.RecordLength > budget && fragments.Count > 0)
            {
                return;
            }

            _queued.Dequeue();
            fragments.Add(fragment);
            used += fragment.RecordLength;
        }
    }

    /// <summary>
    /// Writes every copy of the file (and the group's parity once the group is full) and returns its
    /// buffer to the pool. Returns the fragments settled by this write, or null when no copy could be
    /// written: the caller queues the file's fragments again.
    /// </summary>
    public List<OutboundFragment>? Write(OutgoingFile file, long lamportTime)
    {
        try
        {
            var body = file.Body.AsSpan(0, file.BodyLength);
            var written = 0;
            for (var copy = 0; copy < Settings.Redundancy; copy++)
            {
                if (_outbox.WriteBody(body, file.Fragments.Count, file.MaxSequence, lamportTime, deleteWhenAcknowledged: false) is not null)
                {
                    written++;
                }
            }

            if (written == 0)
            {
                return null;
            }

            Interlocked.Add(ref _counters.CopiesWritten, written - 1);
            _lastDataFileTimestamp = _context.Time.GetTimestamp();
            if (_group is null)
            {
                return file.Fragments;
            }

            _group.Add(body);
            _awaitingParity.AddRange(file.Fragments);
            return _group.IsFull ? CloseGroup(lamportTime) : [];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(file.Body);
        }
    }

    /// <summary>
    /// Closes a group that has waited <see cref="GroupIdleClose"/> for more files, or at once when
    /// <paramref name="windowFull"/> (no more files can come until this group settles); returns what that settles, or null.
    /// </summary>
    public List<OutboundFragment>? CloseIdleGroup(long lamportTime, bool windowFull)
    {
        if (_group is null || _group.Count == 0 || (!windowFull && _context.Time.GetElapsedTime(_lastDataFileTimestamp) < GroupIdleClose))
        {
            return null;
        }

        return CloseGroup(lamportTime);
    }

    /// <summary>How long until an open group is due to be closed; infinite when none is open.</summary>
    public TimeSpan UntilGroupCloses()
    {
        if (_group is null || _group.Count == 0)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var left = GroupIdleClose - _context.Time.GetElapsedTime(_lastDataFileTimestamp);
        return left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }

    /// <summary>Forgets, at most every quarter of the retention (within 100 ms to a minute), what was sent longer ago than <see cref="OneWaySettings.KeepSentFor"/>.</summary>
    public TimeSpan PurgeIfDue(CancellationToken cancellationToken)
    {
        var now = _context.Time.GetTimestamp();
        if (now < _nextPurgeTimestamp)
        {
            return _context.Time.GetElapsedTime(now, _nextPurgeTimestamp);
        }

        _nextPurgeTimestamp = now + (long)(_purgeEvery.TotalSeconds * _context.Time.TimestampFrequency);
        var before = _context.Time.GetUtcNow() - Settings.KeepSentFor;
        _ = PurgeAsync(before, cancellationToken);
        return _purgeEvery;
    }

    private async Task PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        try
        {
            var (forgotten, spools) = await _context.Store.PurgeSentAsync(_peer, before).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var first in spools)
            {
                _spool.Delete(first);
            }

            DeleteOldOwnFiles(before);
            if (forgotten > 0)
            {
                Layer1Log.SentPurged(_context.Logger, _peer, forgotten, before);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException or ObjectDisposedException)
        {
            // Tried again at the next purge.
            Layer1Log.SentPurgeFailed(_context.Logger, exception, _peer);
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Nothing acknowledges these files, so nothing else deletes them: a mirror that copies rather than
    // moves would leave them forever. Past the retention they could not be asked for again anyway.
    private void DeleteOldOwnFiles(DateTimeOffset before)
    {
        var fileSystem = _context.FileSystem;
        foreach (var path in fileSystem.Directory.EnumerateFiles(_context.Options.Outbox))
        {
            var name = fileSystem.Path.GetFileName(path);
            if (!SegmentFileName.TryParse(name, out var sender, out var recipient, out _) || sender != _context.NodeId || recipient != _peer)
            {
                continue;
            }

            if (fileSystem.File.GetLastWriteTimeUtc(path) < before.UtcDateTime)
            {
                fileSystem.File.Delete(path);
            }
        }
    }

    private List<OutboundFragment> CloseGroup(long lamportTime)
    {
        var group = _group!;
        var parity = group.Build(++_groupCounter, _currentAck(), out var parityLength);
        try
        {
            // Encoded as an ack-only file with one more record: the ack tells the peer nothing new.
            if (_outbox.WriteBody(parity.AsSpan(0, parityLength), 0, 0, lamportTime, deleteWhenAcknowledged: false) is not null)
            {
                Interlocked.Increment(ref _counters.ParityFilesWritten);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(parity);
        }

        // A parity file that could not be written leaves the group without it; its files are out already.
        group.Clear();
        var settled = new List<OutboundFragment>(_awaitingParity);
        _awaitingParity.Clear();
        return settled;
    }
}
