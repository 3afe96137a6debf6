using System.Diagnostics.Metrics;
using System.Globalization;
using System.IO.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relay.Host.Configuration;
using Relay.Host.Diagnostics;
using Relay.Host.Status;
using Relay.HttpProxy;
using Relay.Layer1;
using Relay.Layer1.Loops;

namespace Relay.Host.Hosting;

/// <summary>
/// One running node as a hosted service: opens its layer-1 channels and the HTTP relay on start,
/// keeps the status file fresh, and closes both on stop (Ctrl-C, SIGTERM).
/// </summary>
public sealed class RelayNode : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    private readonly RelayOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IMeterFactory? _meterFactory;
    private readonly ILogger _logger;
    private Layer1Node? _node;
    private HttpRelay? _relay;
    private ITimer? _statusTimer;
    private DateTimeOffset _startedAt;
    private HashSet<string> _warned = [];

    private readonly NodeKeyring _keyring;

    private readonly IFileSystem _fileSystem;

    public RelayNode(RelayOptions options, NodeKeyring keyring, IFileSystem fileSystem, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null)
    {
        _fileSystem = fileSystem;
        _options = options;
        _keyring = keyring;
        _loggerFactory = loggerFactory;
        _meterFactory = meterFactory;
        _logger = loggerFactory.CreateLogger<RelayNode>();
    }

    public bool IsRunning => _relay is not null;

    public HttpRelay Relay => _relay ?? throw new InvalidOperationException("The node has not started.");

    public string NodeId => _options.Node.Id;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Not disposed at stop: the JOSE library caches signing providers process-wide by key
        // thumbprint, so a node started again in this process would meet the disposed keys.
        var keys = _keyring.Own;
        var peers = _keyring.Peers;
        var services = new Layer1NodeServices { FileSystem = _fileSystem, LoggerFactory = _loggerFactory, MeterFactory = _meterFactory };
        _node = Layer1Node.Open(_options.Exchange, keys, peers, services);
        _startedAt = DateTimeOffset.UtcNow;
        _relay = await HttpRelay.StartAsync(_node, _options.Node.StateDirectory, _options.Http, _options.Ingress, _options.Egress, _loggerFactory, meterFactory: _meterFactory, fileSystem: _fileSystem).ConfigureAwait(false);
        _relay.DescribePeerTrouble = peer => string.Join(" ", LinkWarnings(peer));
        // Written once before start-up returns, so the status file is there as soon as the node runs.
        WriteStatus();
        _statusTimer = TimeProvider.System.CreateTimer(_ => WriteStatus(), null, StatusInterval, StatusInterval);
        HostLog.NodeStarted(_logger, NodeId, peers.Count, _options.Ingress is not null, _options.Egress is not null);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_statusTimer is not null)
        {
            await _statusTimer.DisposeAsync().ConfigureAwait(false);
            _statusTimer = null;
        }

        if (_relay is not null)
        {
            await _relay.DisposeAsync().ConfigureAwait(false);
            _relay = null;
        }

        if (_node is not null)
        {
            // The last word: relay status says "stopped" at once, not "running" until the file goes stale.
            WriteStatus(NodeStates.Stopped);
            await _node.DisposeAsync().ConfigureAwait(false);
            _node = null;
            HostLog.NodeStopped(_logger, NodeId);
        }
    }

    public NodeStatusDocument GetStatus() => GetStatus(NodeStates.Running);

    /// <summary>
    /// <c>up</c> (200) when the node runs and sees nothing wrong; <c>degraded</c> (200, with the
    /// reasons) when it runs but its links look wrong; <c>down</c> (503, with the reasons) while one
    /// of its loops waits to be restarted; <c>starting</c> (503) before it runs.
    /// </summary>
    public HealthDocument GetHealth()
    {
        if (_node is null || _relay is null)
        {
            return new HealthDocument("starting", NodeId);
        }

        var status = GetStatus();
        return status.Down.Count > 0 ? new HealthDocument("down", NodeId) { Reasons = [.. status.Down, .. status.Warnings] }
            : status.Warnings.Count == 0 ? new HealthDocument("up", NodeId)
            : new HealthDocument("degraded", NodeId) { Reasons = status.Warnings };
    }

    private NodeStatusDocument GetStatus(string state)
    {
        var node = _node ?? throw new InvalidOperationException("The node has not started.");
        var layer1 = node.GetStatus();
        var http = _relay?.GetStatus().ToDictionary(p => p.Peer) ?? [];
        var now = DateTimeOffset.UtcNow;
        var warnings = new List<string>();
        var peers = layer1.Peers.Select(peer =>
        {
            http.TryGetValue(peer.Peer, out var streams);
            var silentFor = SilentWhileWaitedOn(peer, streams, now);
            warnings.AddRange(PeerWarnings(peer, silentFor));
            return new PeerStatusDocument(
                peer.Peer,
                peer.Sent,
                peer.Acknowledged,
                peer.InFlight,
                peer.InFlightBytes,
                peer.Resent,
                peer.FilesWritten,
                peer.FileBytesWritten,
                peer.FilesReceived,
                peer.Received,
                peer.Delivered,
                peer.Handled,
                peer.DuplicatesDropped,
                peer.Rejected.ToDictionary(r => r.Key.ToString(), r => r.Value),
                peer.LastFileSeen,
                peer.OldestUnacknowledgedAge?.TotalSeconds,
                peer.SmoothedRoundTrip.TotalMilliseconds,
                streams?.CallerStreams ?? 0,
                streams?.CalleeStreams ?? 0,
                streams?.MalformedFrames ?? 0,
                streams?.UnsupportedVersionFrames ?? 0,
                streams?.PeerSupportedVersions)
            {
                LastRejectDetails = peer.LastRejects.ToDictionary(r => r.Key.ToString(), r => r.Value.Detail),
                SilentWhileWaitedOnSeconds = silentFor?.TotalSeconds,
                FileWritesFailed = peer.FileWritesFailed,
                Direction = peer.Direction.ToString(),
                CopiesWritten = peer.CopiesWritten,
                ParityFilesWritten = peer.ParityFilesWritten,
                DuplicateFiles = peer.DuplicateFiles,
                ParityRebuilds = peer.ParityRebuilds,
                LinkWindowBytes = peer.LinkWindowBytes,
                BytesOnLink = peer.BytesOnLink,
                BaseRoundTripMilliseconds = peer.BaseRoundTrip.TotalMilliseconds,
                HighestReceived = peer.HighestReceived,
                MissingFragments = peer.MissingFragments,
                Gaps = peer.Gaps.Select(gap => new GapDocument(gap.From, gap.To, gap.Since, (now - gap.Since).TotalSeconds)).ToList(),
                OneWay = streams is null || streams.Direction == PeerDirection.Both ? null : new OneWayStatusDocument(
                    streams.Direction.ToString(),
                    streams.OneWaySent,
                    streams.OneWaySentBytes,
                    streams.OneWayRefused,
                    streams.OneWayCalleeStatuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value),
                    streams.OneWayFailed,
                    streams.OneWayLate,
                    streams.OneWayDuplicates),
            };
        }).ToList();
        warnings.AddRange(InboxWarnings(layer1));
        var (waiting, callbacks) = _relay?.GetAsyncStatus() ?? (0, 0);
        var (storageUsed, storageLimit) = _relay?.GetAsyncStorage() ?? (0, 0);
        var (cacheHits, cacheMisses, cacheBytes) = _relay?.GetCacheStatus() ?? (0, 0, 0);
        var loops = layer1.Loops.Concat(_relay?.GetLoops() ?? []).ToList();
        return new NodeStatusDocument(
            NodeId,
            now,
            _options.Ingress is not null,
            _options.Egress is not null,
            peers,
            waiting,
            callbacks,
            layer1.RejectedFromUnknownSenders.ToDictionary(r => r.Key.ToString(), r => r.Value))
        {
            State = state,
            OwnFilesInInbox = layer1.OwnFilesInInbox,
            ForeignFilesInInbox = layer1.ForeignFilesInInbox,
            Warnings = warnings,
            AsyncStorageBytes = storageUsed,
            AsyncStorageLimitBytes = storageLimit,
            CacheHits = cacheHits,
            CacheMisses = cacheMisses,
            CacheBytes = cacheBytes,
            Loops = [.. loops.Select(loop => new LoopStatusDocument(loop.Name, loop.IsRunning, loop.Failures, loop.LastError, loop.LastFailedAt, loop.RestartsAt))],
            Down = [.. loops.Where(loop => !loop.IsRunning).Select(DescribeDown)],
        };
    }

    private static string DescribeDown(LoopState loop) => string.Create(CultureInfo.InvariantCulture,
        $"The {loop.Name} loop is down since {loop.LastFailedAt:u} after {loop.Failures} failure(s) ({loop.LastError}); it restarts at {loop.RestartsAt:u}. The node's log has the stack trace.");

    /// <summary>What looks wrong with the link to one peer, one sentence each (for the detail of a 504).</summary>
    private List<string> LinkWarnings(string peer)
    {
        var node = _node;
        if (node is null)
        {
            return [];
        }

        var layer1 = node.GetStatus();
        var http = _relay?.GetStatus().FirstOrDefault(p => p.Peer == peer);
        var warnings = new List<string>();
        foreach (var status in layer1.Peers.Where(p => p.Peer == peer))
        {
            warnings.AddRange(PeerWarnings(status, SilentWhileWaitedOn(status, http, DateTimeOffset.UtcNow)));
        }

        warnings.AddRange(InboxWarnings(layer1));
        return warnings;
    }

    // Silence matters only while somebody waits: callers' streams open, or messages not yet acknowledged.
    private TimeSpan? SilentWhileWaitedOn(PeerStatus peer, HttpPeerStatus? streams, DateTimeOffset now)
    {
        // Nothing ever comes from a peer this node only sends to: its silence says nothing.
        if (peer.Direction == PeerDirection.SendOnly || ((streams?.CallerStreams ?? 0) == 0 && peer.InFlight == 0))
        {
            return null;
        }

        var since = peer.LastFileSeen is { } seen && seen > _startedAt ? seen : _startedAt;
        var silent = now - since;
        // A link whose round trips take minutes (a slow mirror) is quiet that long as a matter of course.
        var threshold = peer.RetransmitTimeout * 2 > _options.Http.PeerSilenceWarning ? peer.RetransmitTimeout * 2 : _options.Http.PeerSilenceWarning;
        return silent >= threshold ? silent : null;
    }

    private IEnumerable<string> PeerWarnings(PeerStatus peer, TimeSpan? silentFor)
    {
        if (silentFor is { } silent)
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"No file from {peer.Peer} for {silent.TotalSeconds:0} s while requests wait for it: check that {peer.Peer} runs and that its outbox reaches this node's inbox ({_options.Exchange.Inbox}).");
        }

        // On a one-way link nothing lost comes again by itself: an old gap needs an operator.
        if (peer.Direction == PeerDirection.ReceiveOnly && peer.Gaps.Count > 0 && DateTimeOffset.UtcNow - peer.Gaps[0].Since >= _options.Http.PeerSilenceWarning)
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{peer.MissingFragments} message fragment(s) from {peer.Peer} are missing (lowest {peer.Gaps[0].From}, for {(DateTimeOffset.UtcNow - peer.Gaps[0].Since).TotalSeconds:0} s) and hold back what follows; nothing comes back by itself on a one-way link: run relay gaps here and relay resend on {peer.Peer}.");
        }

        // Failing since the last file that went out: the outbox cannot take files at all just now.
        if (peer.LastWriteFailure is { } failure && (peer.LastFileWritten is not { } written || failure.At > written))
        {
            yield return $"Files for {peer.Peer} cannot be written to the outbox {_options.Exchange.Outbox}: {failure.Detail} Messages wait in the state directory and go out once writing works again (is the disk full or the folder read-only?).";
        }

        // Files that came but were refused since the last good one: most often a peer key file that is not (or no longer) the peer's.
        foreach (var reason in new[] { FileRejectReason.BadSignature, FileRejectReason.WrongRecipient, FileRejectReason.ProtectionMismatch })
        {
            if (peer.LastRejects.TryGetValue(reason, out var note) && (peer.LastFileSeen is not { } good || note.At > good))
            {
                yield return reason switch
                {
                    FileRejectReason.BadSignature => $"Files from {peer.Peer} are rejected as {reason}: {note.Detail}. Compare with the key ids relay keygen printed on {peer.Peer}; the configured public key file may be outdated.",
                    FileRejectReason.WrongRecipient => $"Files from {peer.Peer} are rejected as {reason}: {note.Detail}. {peer.Peer} may hold an outdated public key of this node.",
                    _ => $"Files from {peer.Peer} are rejected as {reason}: {note.Detail}. Both nodes must set the same Encryption (Encrypt or None) for each other in Relay:Peers.",
                };
            }
        }
    }

    private IEnumerable<string> InboxWarnings(Layer1Status layer1)
    {
        if (layer1.OwnFilesInInbox > 0)
        {
            yield return $"The inbox {_options.Exchange.Inbox} holds {layer1.OwnFilesInInbox} file(s) this node wrote: its own files are coming back (is the outbox copied into the inbox?).";
        }

        if (layer1.ForeignFilesInInbox > 0)
        {
            yield return $"The inbox {_options.Exchange.Inbox} holds {layer1.ForeignFilesInInbox} file(s) addressed to other nodes: are Relay:Exchange:Inbox and Relay:Exchange:Outbox crossed?";
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    // Each warning is logged once when it appears, not every second while it lasts; its figures (seconds, counts) do not make it new.
    private void LogNewWarnings(IReadOnlyList<string> warnings)
    {
        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var warning in warnings)
        {
            var key = new string([.. warning.Where(c => !char.IsAsciiDigit(c))]);
            if (current.Add(key) && !_warned.Contains(key))
            {
                HostLog.LinkWarning(_logger, warning);
            }
        }

        _warned = current;
    }

    private void WriteStatus(string state = NodeStates.Running)
    {
        try
        {
            var status = GetStatus(state);
            StatusFile.Write(_fileSystem, _options.Node.StateDirectory, status);
            LogNewWarnings(status.Warnings);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException or ObjectDisposedException)
        {
            HostLog.StatusWriteFailed(_logger, exception);
        }
    }
}
