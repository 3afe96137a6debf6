using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Relay.Layer1.Channels;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Exchange;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;
using Relay.Layer1.Loops;
using Relay.Layer1.OneWay;
using Relay.Layer1.State;

namespace Relay.Layer1;

/// <summary>
/// One node of layer 1: a reliable, ordered, authenticated and encrypted message channel to each
/// configured peer, carried by files in an outbox and an inbox folder. Messages are delivered in
/// order and exactly once across restarts, provided the application marks each handled
/// (<see cref="MarkHandledAsync"/>) only after acting on it.
/// </summary>
public sealed class Layer1Node : IAsyncDisposable
{
    private readonly NodeContext _context;
    private readonly Dictionary<string, PeerChannels> _peers;
    private readonly Dictionary<string, PeerPublicKeys> _peerKeys;
    private readonly ChannelCounters _unknownSenders = new();
    private readonly InboxWatcher _inbox;
    private InboxMisaddressed _misaddressed = new(0, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly LoopSupervisor _supervisor;
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);

    // Names of entries that are not regular files: left in place, counted once, skipped while they stay.
    private readonly HashSet<string> _notRegular = new(StringComparer.Ordinal);
    private readonly SegmentReceiver _receiver;
    private readonly string _ownNamePrefix;
    private int _disposed;

    private Layer1Node(NodeContext context, Dictionary<string, PeerChannels> peers, Dictionary<string, PeerPublicKeys> peerKeys)
    {
        _context = context;
        _peers = peers;
        _peerKeys = peerKeys;
        _receiver = new SegmentReceiver(context.Codec, peers.ContainsKey, context.Options, context.Time);
        _ownNamePrefix = context.NodeId + "_";
        _supervisor = new LoopSupervisor(context.Logger, context.Time, _stopping.Token, context.Options.LoopRestartDelay);
        _inbox = new InboxWatcher(context.FileSystem, context.Options.Inbox, IsAddressedToMe, context.Options.PollInterval, context.Logger)
        {
            Listed = OnListed,
        };
    }

    public string NodeId => _context.NodeId;

    public IReadOnlyCollection<string> Peers => _peers.Keys;

    /// <summary>Which way files move between this node and <paramref name="peer"/>.</summary>
    public PeerDirection Direction(string peer) => _peerKeys[peer].Direction;

    /// <summary>The channel's current resend timeout to <paramref name="peer"/>: what the link's round trips, sweeps included, have shown.</summary>
    public TimeSpan RetransmitTimeout(string peer) => _peers[peer].Outbound.Snapshot().RetransmitTimeout;

    /// <summary>The smoothed round trip to <paramref name="peer"/> and back (zero until one is measured or kept from an earlier run).</summary>
    public TimeSpan SmoothedRoundTrip(string peer) => _peers[peer].Outbound.Snapshot().SmoothedRoundTrip;

    /// <summary>The file system the node's folders and files are on, for the layers above that keep files beside it.</summary>
    public System.IO.Abstractions.IFileSystem FileSystem => _context.FileSystem;

    /// <summary>Opens the node's state, resumes every channel and starts reading and writing files.</summary>
    /// <exception cref="OptionsValidationException">A setting is invalid; the message names it.</exception>
    public static Layer1Node Open(Layer1Options options, NodeKeyPair keys, IEnumerable<PeerPublicKeys> peers, Layer1NodeServices? services = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(peers);
        services ??= new Layer1NodeServices();
        var validation = new Layer1OptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(Layer1Options), typeof(Layer1Options), validation.Failures);
        }

        Identity.NodeId.Validate(keys.NodeId, nameof(keys));
        var peerKeys = new Dictionary<string, PeerPublicKeys>(StringComparer.Ordinal);
        foreach (var peer in peers)
        {
            if (peer.NodeId == keys.NodeId || !peerKeys.TryAdd(peer.NodeId, peer))
            {
                throw new ArgumentException($"Peer '{peer.NodeId}' is listed twice or is this node itself.", nameof(peers));
            }

            if (peer.OneWay.Problems(peer.Direction) is { Count: > 0 } problems)
            {
                throw new ArgumentException($"Peer '{peer.NodeId}' ({peer.Direction}): {string.Join(" ", problems)}", nameof(peers));
            }
        }

        var fileSystem = services.FileSystem;
        fileSystem.Directory.CreateDirectory(options.Outbox);
        fileSystem.Directory.CreateDirectory(options.Inbox);
        var logger = (ILogger?)services.LoggerFactory?.CreateLogger<Layer1Node>() ?? NullLogger.Instance;
        var store = StateStore.Open(options.StateDirectory);
        try
        {
            var ackEpoch = store.ReadNodeValue(StateStore.AckEpochKey) + 1;
            store.SaveNodeValueAsync(StateStore.AckEpochKey, ackEpoch).GetAwaiter().GetResult();
            var context = new NodeContext(
                keys.NodeId,
                options,
                fileSystem,
                services.TimeProvider,
                new SegmentCodec(keys, id => peerKeys.GetValueOrDefault(id)),
                store,
                new LamportClock(store.ReadNodeValue(StateStore.LamportKey)),
                logger,
                new Layer1Metrics(services.MeterFactory));

            var channels = new Dictionary<string, PeerChannels>(StringComparer.Ordinal);
            foreach (var peer in peerKeys.Keys)
            {
                var spool = new MessageSpool(fileSystem, options.StateDirectory, peer);
                var state = store.ReadPeer(peer, spool);
                var counters = new ChannelCounters();
                var inbound = new InboundChannel(context, peer, state.Handled, ackEpoch, counters);
                var direction = peerKeys[peer].Direction;
                var sendOnly = direction == PeerDirection.SendOnly ? peerKeys[peer].OneWay : null;
                var outbound = new OutboundChannel(context, peer, state, spool, counters, inbound.CurrentAck, sendOnly, ackEpoch);

                // A receive-only node writes nothing to its peer, acks included.
                inbound.AckNeeded = direction == PeerDirection.ReceiveOnly ? null : outbound.RequestAck;
                // Kept bodies are, like held fragments, data from the peer kept on disk ahead of use: the same bound serves.
                var rebuilder = direction == PeerDirection.ReceiveOnly
                    ? new ParityRebuilder(fileSystem, options.StateDirectory, peer, options.MaxHeldBytes, logger)
                    : null;
                channels.Add(peer, new PeerChannels(inbound, outbound, counters, rebuilder));
                Layer1Log.ChannelResumed(logger, peer, state.Outbound.Count, state.Handled.Cumulative);
            }

            var node = new Layer1Node(context, channels, peerKeys);
            node.Start();
            Layer1Log.NodeOpened(logger, keys.NodeId, channels.Count, options.Outbox, options.Inbox);
            return node;
        }
        catch
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Queues a message for a peer; completes once it is durable (it will be delivered even if this node is killed now).</summary>
    /// <remarks>Waits while the channel's unacknowledged bytes exceed <see cref="Layer1Options.MaxUnacknowledgedBytes"/>.</remarks>
    /// <exception cref="InvalidOperationException">The peer is <see cref="PeerDirection.ReceiveOnly"/>: nothing is written to it.</exception>
    public Task<SentMessage> SendAsync(string peer, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return SendingChannels(peer).Outbound.SendAsync(payload, cancellationToken);
    }

    /// <summary>
    /// Queues a message for a peer as soon as the channel's window has room, and returns a task that
    /// completes once it is durable. The payload is copied before this returns, and messages queued
    /// one after another keep their order, so a sender can stream many messages without waiting for
    /// each to be committed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The peer is <see cref="PeerDirection.ReceiveOnly"/>: nothing is written to it.</exception>
    public ValueTask<Task<SentMessage>> QueueAsync(string peer, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return SendingChannels(peer).Outbound.QueueAsync(payload, cancellationToken);
    }

    /// <summary>
    /// Writes again, from what the store kept, the fragments in <paramref name="ranges"/> of the
    /// channel to a send-only peer (as a gap report asks); completes with the ranges queued. What is
    /// not among them was forgotten after <see cref="OneWaySettings.KeepSentFor"/>, was never sent, or
    /// is still waiting to be written the first time.
    /// </summary>
    /// <exception cref="InvalidOperationException">The peer is not <see cref="PeerDirection.SendOnly"/>: its channel resends by itself, or sends nothing.</exception>
    public async Task<IReadOnlyList<MissingRange>> ResendAsync(string peer, IReadOnlyList<MissingRange> ranges, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var channels = Channels(peer);
        if (_peerKeys[peer].Direction != PeerDirection.SendOnly)
        {
            throw new InvalidOperationException($"Peer '{peer}' is configured {_peerKeys[peer].Direction}, not {nameof(PeerDirection.SendOnly)}: only a send-only channel is asked to resend.");
        }

        var queued = await channels.Outbound.QueueResendAsync(ranges.Select(r => new SequenceRange(r.From, r.To)).ToList(), cancellationToken).ConfigureAwait(false);
        return queued.Select(r => new MissingRange(r.From, r.To)).ToList();
    }

    /// <summary>The peer's messages in order; a message not marked handled before a restart comes again after it.</summary>
    public IAsyncEnumerable<ReceivedMessage> ReadAllAsync(string peer, CancellationToken cancellationToken = default) =>
        Channels(peer).Inbound.Deliveries.ReadAllAsync(cancellationToken);

    /// <summary>Reads the next message from a peer, in order.</summary>
    public ValueTask<ReceivedMessage> ReceiveAsync(string peer, CancellationToken cancellationToken = default) =>
        Channels(peer).Inbound.Deliveries.ReadAsync(cancellationToken);

    /// <summary>Records durably that a delivered message has been acted on; it will not be delivered again.</summary>
    public Task MarkHandledAsync(ReceivedMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Channels(message.Peer).Inbound.MarkHandledAsync(message, cancellationToken);
    }

    public Layer1Status GetStatus()
    {
        var peers = new List<PeerStatus>(_peers.Count);
        foreach (var (peer, channels) in _peers)
        {
            var counters = channels.Counters;
            var outbound = channels.Outbound.Snapshot();
            var inbound = channels.Inbound.Snapshot();
            var lastSeen = Interlocked.Read(ref counters.LastFileSeenUnixMs);
            var lastWritten = Interlocked.Read(ref counters.LastFileWrittenUnixMs);
            peers.Add(new PeerStatus
            {
                Peer = peer,
                Sent = Interlocked.Read(ref counters.MessagesSent),
                Acknowledged = Interlocked.Read(ref counters.MessagesAcknowledged),
                QueuedThrough = outbound.QueuedThrough,
                InFlight = outbound.InFlight,
                InFlightBytes = outbound.UnacknowledgedBytes,
                Resent = Interlocked.Read(ref counters.FragmentsResent),
                Direction = _peerKeys[peer].Direction,
                CopiesWritten = Interlocked.Read(ref counters.CopiesWritten),
                ParityFilesWritten = Interlocked.Read(ref counters.ParityFilesWritten),
                DuplicateFiles = Interlocked.Read(ref counters.DuplicateFiles),
                ParityRebuilds = Interlocked.Read(ref counters.ParityRebuilds),
                FilesWritten = Interlocked.Read(ref counters.FilesWritten),
                FileBytesWritten = Interlocked.Read(ref counters.FileBytesWritten),
                FilesReceived = Interlocked.Read(ref counters.FilesReceived),
                Received = Interlocked.Read(ref counters.FragmentsReceived),
                DuplicatesDropped = Interlocked.Read(ref counters.DuplicateFragments),
                Delivered = Interlocked.Read(ref counters.MessagesDelivered),
                Handled = Interlocked.Read(ref counters.MessagesHandled),
                HandledThrough = inbound.HandledThrough,
                HeldFragments = inbound.Held,
                HeldBytes = inbound.HeldBytes,
                HeldOnDiskBytes = inbound.HeldOnDiskBytes,
                HeldWritesFailed = Interlocked.Read(ref counters.HeldWritesFailed),
                HeldReadsFailed = Interlocked.Read(ref counters.HeldReadsFailed),
                HighestReceived = inbound.HighestReceived,
                MissingFragments = inbound.Missing,
                Gaps = inbound.Gaps,
                Rejected = counters.RejectedSnapshot(),
                LastRejects = counters.LastRejects(),
                LastFileSeen = lastSeen == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(lastSeen),
                LastFileWritten = lastWritten == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(lastWritten),
                FileWritesFailed = Interlocked.Read(ref counters.FileWritesFailed),
                LastWriteFailure = counters.LastWriteFailure,
                OldestUnacknowledgedAge = outbound.OldestUnacknowledgedAge,
                SmoothedRoundTrip = outbound.SmoothedRoundTrip,
                RetransmitTimeout = outbound.RetransmitTimeout,
                LinkWindowBytes = outbound.LinkWindowBytes,
                BytesOnLink = outbound.BytesOnLink,
                BaseRoundTrip = outbound.BaseRoundTrip,
            });
        }

        var misaddressed = Volatile.Read(ref _misaddressed);
        return new Layer1Status(NodeId, peers, _unknownSenders.RejectedSnapshot())
        {
            OwnFilesInInbox = misaddressed.OwnFiles,
            ForeignFilesInInbox = misaddressed.ForeignFiles,
            Loops = _supervisor.Snapshot(),
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _inbox.Dispose();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        foreach (var channels in _peers.Values)
        {
            channels.Inbound.Complete();
        }

        foreach (var channels in _peers.Values)
        {
            channels.Outbound.Dispose();
            channels.Inbound.Dispose();
        }

        await _context.Store.DisposeAsync().ConfigureAwait(false);
        _context.Metrics.Dispose();
        _stopping.Dispose();
        Layer1Log.NodeStopped(_context.Logger, NodeId);
    }

    private void Start()
    {
        DeleteLeftoverOwnFiles();
        foreach (var channels in _peers.Values)
        {
            // Nothing at all is written to a peer this node only receives from, not even acks.
            if (Direction(channels.Outbound.Peer) == PeerDirection.ReceiveOnly)
            {
                continue;
            }

            // A fresh ack tells each peer at once what survived the restart: anything it believed held
            // in this node's memory before is gone and must come again.
            channels.Outbound.RequestAck();
            _loops.Add(_supervisor.StartOnOwnThread("writer for " + channels.Outbound.Peer, channels.Outbound.Run));
        }

        _inbox.Start();
        _loops.Add(_supervisor.Start("inbox listing", _inbox.PollAsync));
        if (_peerKeys.Values.Any(peer => peer.Direction == PeerDirection.SendOnly))
        {
            _loops.Add(_supervisor.Start("resend requests", TakeResendRequestsAsync));
        }
        _loops.Add(_supervisor.StartOnOwnThread("inbox reader", Consume));
    }

    // Files this node wrote before a restart: everything unacknowledged is sent again, so they are redundant.
    // Not so for a send-only peer: nothing is sent again by itself, and the files may still be on their way.
    private void DeleteLeftoverOwnFiles()
    {
        var fileSystem = _context.FileSystem;
        foreach (var path in fileSystem.Directory.EnumerateFiles(_context.Options.Outbox))
        {
            var name = fileSystem.Path.GetFileName(path);
            var finalName = SegmentFileName.FinalNameOf(name);
            if (SegmentFileName.TryParse(finalName, out var sender, out var recipient, out _) && sender == NodeId
                && !(finalName == name && _peerKeys.TryGetValue(recipient, out var peer) && peer.Direction == PeerDirection.SendOnly))
            {
                try
                {
                    fileSystem.File.Delete(path);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    Layer1Log.FileDeleteFailed(_context.Logger, exception, path);
                }
            }
        }
    }

    // Gap reports handed in with relay resend: verified again (the folder is the node's own, but the
    // report came from elsewhere), applied, then deleted.
    private async Task TakeResendRequestsAsync(CancellationToken cancellationToken)
    {
        var fileSystem = _context.FileSystem;
        var folder = ResendRequests.FolderIn(fileSystem, _context.Options.StateDirectory);
        using var timer = new PeriodicTimer(_context.Options.PollInterval, _context.Time);
        do
        {
            if (!fileSystem.Directory.Exists(folder))
            {
                continue;
            }

            foreach (var path in fileSystem.Directory.EnumerateFiles(folder, "*" + ResendRequests.Extension).Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await TakeResendRequestAsync(path, cancellationToken).ConfigureAwait(false);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task TakeResendRequestAsync(string path, CancellationToken cancellationToken)
    {
        var fileSystem = _context.FileSystem;
        byte[] file;
        try
        {
            file = fileSystem.File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Tried again at the next poll.
            Layer1Log.FileReadFailed(_context.Logger, exception, path);
            return;
        }

        try
        {
            var claimed = GapReport.ClaimedReceiver(file);
            if (!_peerKeys.TryGetValue(claimed, out var peer) || peer.Direction != PeerDirection.SendOnly)
            {
                throw new InvalidDataException($"the report is from '{claimed}', which is not a SendOnly peer of this node");
            }

            var report = GapReport.Verify(file, peer, NodeId);
            var queued = await ResendAsync(report.Receiver, report.Requested(), cancellationToken).ConfigureAwait(false);
            var fragments = queued.Sum(r => r.Count);
            var ranges = string.Join(", ", queued.Take(20));
            Layer1Log.ResendRequestTaken(_context.Logger, report.Receiver, fragments, ranges);
        }
        catch (InvalidDataException exception)
        {
            Layer1Log.ResendRequestRefused(_context.Logger, path, exception.Message);
        }

        try
        {
            fileSystem.File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.FileDeleteFailed(_context.Logger, exception, path);
        }
    }

    private bool IsAddressedToMe(string name) =>
        !name.StartsWith(_ownNamePrefix, StringComparison.Ordinal)
        && SegmentFileName.TryParse(name, out _, out var recipient, out _)
        && recipient == NodeId;

    private void Consume(CancellationToken cancellationToken)
    {
        var fragments = new List<ReceivedFragment>();
        while (_inbox.Names.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
        {
            while (_inbox.Names.TryRead(out var name))
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    Consume(name, fragments);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // One file must never stop the inbox: log it, let a later listing offer it again.
                    Layer1Log.FileConsumeFailed(_context.Logger, exception, name);
                    fragments.Clear();
                    _inbox.Release(name);
                }
            }
        }
    }

    private void Consume(string name, List<ReceivedFragment> fragments)
    {
        var fileSystem = _context.FileSystem;
        var path = fileSystem.Path.Combine(_context.Options.Inbox, name);
        if (!SegmentFileName.TryParse(name, out var claimedSender, out _, out _) || IsConsumed(name))
        {
            _inbox.Release(name);
            return;
        }

        // Before any open: opening a FIFO blocks, and a link may point anywhere.
        if (FolderEntryProbe.Probe(fileSystem, path) == FolderEntryKind.NotRegularFile)
        {
            SkipNotRegular(name, claimedSender, "not a regular file");
            _inbox.Release(name);
            return;
        }

        byte[]? file = null;
        byte[]? body = null;
        var remove = true;
        try
        {
            if (_receiver.CheckSender(claimedSender) is { } unknown)
            {
                Reject(name, claimedSender, unknown);
                return;
            }

            var direction = _peerKeys[claimedSender].Direction;
            if (direction == PeerDirection.SendOnly)
            {
                Reject(name, claimedSender, FileRejectReason.WrongDirection, "the peer is configured SendOnly: nothing is read from it");
                return;
            }

            var channels = _peers[claimedSender];
            int length;
            try
            {
                using var stream = fileSystem.FileStream.New(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
                if (!stream.CanSeek)
                {
                    // Swapped for a FIFO or socket after the check: what was opened is not a regular file.
                    SkipNotRegular(name, claimedSender, "not a regular file when opened");
                    remove = false;
                    return;
                }

                if (_receiver.CheckLength(stream.Length) is { } tooLarge)
                {
                    Reject(name, claimedSender, tooLarge);
                    return;
                }

                length = (int)stream.Length;
                file = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                stream.ReadExactly(file, 0, length);
            }
            catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
            {
                // Another reader took it, or the sender withdrew it after an ack.
                remove = false;
                return;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                Layer1Log.FileReadFailed(_context.Logger, exception, name);
                remove = false;
                return;
            }

            body = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            var receipt = _receiver.Read(name, file.AsSpan(0, length), body, fragments);
            if (!receipt.IsAccepted)
            {
                Reject(name, claimedSender, receipt);
                return;
            }

            var manifest = receipt.Manifest!;
            var ack = receipt.Ack;

            // Authentic from here on: state may change.
            _context.Clock.Observe(manifest.LamportTime);
            Interlocked.Increment(ref channels.Counters.FilesReceived);
            Interlocked.Exchange(ref channels.Counters.LastFileSeenUnixMs, _context.Time.GetUtcNow().ToUnixTimeMilliseconds());
            // A receive-only node writes nothing, so an ack of its writing means nothing.
            var newAck = ack is not null && direction != PeerDirection.ReceiveOnly && channels.Outbound.OnAck(ack);
            var accepted = fragments.Count > 0 ? channels.Inbound.Accept(fragments) : 0;
            if (channels.Parity is { } parity)
            {
                var rebuilt = UseParity(channels, parity, receipt, body.AsSpan(0, receipt.BodyLength), fragments.Count > 0);
                if (receipt.Parity is not null || rebuilt > 0)
                {
                    // A parity file is news whether or not anything was lost: it is not a replay.
                    _context.Metrics.FileRead(claimedSender);
                    Layer1Log.FileRead(_context.Logger, name, accepted + rebuilt, fragments.Count);
                    return;
                }
            }

            if (!newAck && accepted == 0)
            {
                if (direction == PeerDirection.ReceiveOnly && fragments.Count > 0)
                {
                    // The sender writes every file more than once on purpose: a copy is a duplicate, not a replay.
                    Interlocked.Increment(ref channels.Counters.DuplicateFiles);
                    return;
                }

                Reject(name, claimedSender, FileRejectReason.Replayed, "nothing new");
                return;
            }

            _context.Metrics.FileRead(claimedSender);
            Layer1Log.FileRead(_context.Logger, name, accepted, fragments.Count);
        }
        finally
        {
            fragments.Clear();
            if (file is not null)
            {
                ArrayPool<byte>.Shared.Return(file);
            }

            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }

            if (remove)
            {
                Remove(path, name);
            }

            _inbox.Release(name);
        }
    }

    // Keeps a data file's body for its group, or rebuilds the group's lost file from a parity file;
    // returns the fragments that brought.
    private int UseParity(PeerChannels channels, ParityRebuilder parity, SegmentReceipt receipt, ReadOnlySpan<byte> body, bool isData)
    {
        var rebuilt = new List<(byte[] Body, long Group)>();
        if (receipt.Parity is { } record)
        {
            if (parity.OnParity(record, body) is { } lost)
            {
                rebuilt.Add((lost, record.GroupId));
            }
        }
        else if (isData)
        {
            rebuilt.AddRange(parity.Keep(body));
        }

        var accepted = 0;
        var fragments = new List<ReceivedFragment>();
        foreach (var (lost, group) in rebuilt)
        {
            if (BodyRecords.TryRead(lost, fragments, out _) is not null || fragments.Count == 0)
            {
                continue;
            }

            var taken = channels.Inbound.Accept(fragments);
            if (taken > 0)
            {
                Interlocked.Increment(ref channels.Counters.ParityRebuilds);
                Layer1Log.ParityRebuilt(_context.Logger, channels.Inbound.Peer, group, taken);
            }

            accepted += taken;
        }

        return accepted;
    }

    private void Reject(string name, string claimedSender, SegmentReceipt receipt) =>
        Reject(name, claimedSender, receipt.Reason!.Value, receipt.Detail);

    private void Reject(string name, string claimedSender, FileRejectReason reason, string? detail)
    {
        var counters = _peers.TryGetValue(claimedSender, out var channels) ? channels.Counters : _unknownSenders;
        // A third party chooses what a rejected file says (a key id, a recipient): keep it short and printable.
        detail = detail is null ? null : Printable(detail);
        counters.Reject(reason, detail, _context.Time.GetUtcNow());
        _context.Metrics.FileRejected(claimedSender, reason);
        Layer1Log.FileRejected(_context.Logger, name, claimedSender, reason, detail);
    }

    private static string Printable(string text)
    {
        const int maxLength = 300;
        var clean = string.Create(Math.Min(text.Length, maxLength), text, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
        return text.Length > maxLength ? clean + "…" : clean;
    }

    private void SkipNotRegular(string name, string claimedSender, string detail)
    {
        bool first;
        lock (_consumed)
        {
            first = _notRegular.Add(name);
        }

        if (first)
        {
            Reject(name, claimedSender, FileRejectReason.NotRegularFile, detail);
        }
    }

    private bool IsConsumed(string name)
    {
        lock (_consumed)
        {
            return _consumed.Contains(name) || _notRegular.Contains(name);
        }
    }

    // With deletion off, consumed names are remembered only while their files are still in the folder.
    private void OnListed(HashSet<string> present)
    {
        ForgetConsumedFilesNoLongerThere(present);
        CountMisaddressedFiles(present);
    }

    // With an inbox of its own (not one shared folder), this node's own files or files for other nodes
    // in it mean the folders are crossed or a transfer loops back: worth telling the operator.
    private void CountMisaddressedFiles(HashSet<string> present)
    {
        var options = _context.Options;
        if (string.Equals(Path.GetFullPath(options.Inbox), Path.GetFullPath(options.Outbox), StringComparison.Ordinal))
        {
            return;
        }

        int own = 0, foreign = 0;
        foreach (var name in present)
        {
            if (SegmentFileName.IsTemporary(name) || !SegmentFileName.TryParse(name, out var sender, out var recipient, out _))
            {
                continue;
            }

            if (sender == NodeId)
            {
                own++;
            }
            else if (recipient != NodeId)
            {
                foreign++;
            }
        }

        var before = Interlocked.Exchange(ref _misaddressed, new InboxMisaddressed(own, foreign));
        if ((own > 0 && before.OwnFiles == 0) || (foreign > 0 && before.ForeignFiles == 0))
        {
            Layer1Log.InboxMisaddressed(_context.Logger, options.Inbox, own, foreign);
        }
    }

    private void ForgetConsumedFilesNoLongerThere(HashSet<string> present)
    {
        lock (_consumed)
        {
            _consumed.IntersectWith(present);
            _notRegular.IntersectWith(present);
        }
    }

    private void Remove(string path, string name)
    {
        if (!_context.Options.DeleteConsumedFiles)
        {
            lock (_consumed)
            {
                _consumed.Add(name);
            }

            return;
        }

        try
        {
            _context.FileSystem.File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.FileDeleteFailed(_context.Logger, exception, path);
        }
    }

    private PeerChannels SendingChannels(string peer)
    {
        var channels = Channels(peer);
        return _peerKeys[peer].Direction == PeerDirection.ReceiveOnly
            ? throw new InvalidOperationException($"Peer '{peer}' is configured {nameof(PeerDirection.ReceiveOnly)}: node '{NodeId}' only reads from it and writes nothing to it.")
            : channels;
    }

    private PeerChannels Channels(string peer) =>
        _peers.TryGetValue(peer, out var channels)
            ? channels
            : throw new ArgumentException($"'{peer}' is not a configured peer of node '{NodeId}'.", nameof(peer));

    private sealed record PeerChannels(InboundChannel Inbound, OutboundChannel Outbound, ChannelCounters Counters, ParityRebuilder? Parity);
}
