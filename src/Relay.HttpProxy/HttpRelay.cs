using System.Diagnostics.Metrics;
using System.IO.Abstractions;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.HttpProxy.Async;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Entry;
using Relay.HttpProxy.Exit;
using Relay.HttpProxy.State;
using Relay.HttpProxy.Streams;
using Relay.Layer1;
using Relay.Layer1.Loops;

namespace Relay.HttpProxy;

/// <summary>
/// HTTP over a node's layer-1 channels: the entry side (<see cref="ForwardAsync"/>, for the ingress
/// listener) and the exit side (replaying peers' requests to allowed callees), sharing one link per peer.
/// </summary>
public sealed class HttpRelay : IAsyncDisposable
{
    private readonly Dictionary<string, PeerLink> _links;
    private readonly EntryForwarder? _entry;
    private readonly ExitDispatcher? _exit;
    private readonly ExchangeStore? _store;
    private readonly HttpMessageInvoker? _invoker;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly LoopSupervisor _supervisor;
    private readonly ILogger _logger;

    private readonly HttpProxyMetrics _metrics;
    private ITimer? _heartbeat;
    private AsyncRequests? _async;
    private AsyncRequestStore? _asyncStore;

    private HttpRelay(
        Dictionary<string, PeerLink> links, EntryForwarder? entry, ExitDispatcher? exit, ExchangeStore? store, HttpMessageInvoker? invoker, ILogger logger, HttpProxyMetrics metrics, TimeProvider time)
    {
        _metrics = metrics;
        _links = links;
        _entry = entry;
        _exit = exit;
        _store = store;
        _invoker = invoker;
        _logger = logger;
        _supervisor = new LoopSupervisor(logger, time, _stopping.Token);
    }

    /// <summary>Starts relaying over <paramref name="node"/>'s channels. A null <paramref name="ingress"/> or <paramref name="egress"/> leaves that side off.</summary>
    /// <param name="node">The open layer-1 node; it outlives the relay.</param>
    /// <param name="stateDirectory">Where the exit side keeps its records and kept responses.</param>
    /// <param name="channel">How bodies share a channel.</param>
    /// <param name="ingress">The entry side's routes and limits, or null.</param>
    /// <param name="egress">The exit side's allowlist and limits, or null.</param>
    /// <param name="loggerFactory">Logs, or null for none.</param>
    /// <param name="time">The clock, or null for the system's.</param>
    /// <param name="meterFactory">Creates the <c>Relay</c> meter, or null for a meter of its own.</param>
    /// <param name="fileSystem">Where kept responses (for requests answered 202, and for repeats of an <c>Idempotency-Key</c>) live; null for the layer-1 node's. SQLite databases are always on the real disk.</param>
    public static async Task<HttpRelay> StartAsync(
        Layer1Node node,
        string stateDirectory,
        HttpChannelOptions channel,
        IngressOptions? ingress,
        EgressOptions? egress,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? time = null,
        IMeterFactory? meterFactory = null,
        IFileSystem? fileSystem = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(channel);
        time ??= TimeProvider.System;
        fileSystem ??= node.FileSystem;
        var logger = (ILogger?)loggerFactory?.CreateLogger<HttpRelay>() ?? NullLogger.Instance;
        var metrics = new HttpProxyMetrics(meterFactory);
        var waitingBodies = WaitingBodyFolder.Open(fileSystem, stateDirectory, logger);
        var links = node.Peers.ToDictionary(peer => peer, peer => new PeerLink(peer, node, channel, logger) { WaitingBodies = waitingBodies }, StringComparer.Ordinal);
        ExchangeStore? store = null;
        ExitDispatcher? exit = null;
        HttpMessageInvoker? invoker = null;
        if (egress is not null)
        {
            store = ExchangeStore.Open(fileSystem, stateDirectory);
            invoker = new HttpMessageInvoker(new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                ConnectTimeout = egress.ConnectTimeout,
                MaxConnectionsPerServer = egress.MaxConnectionsPerTarget,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                EnableMultipleHttp2Connections = true,
            });
            exit = new ExitDispatcher(egress, store, invoker, time, logger, metrics, [.. links.Values.Where(link => !link.CanSend).Select(link => link.Peer)]);
            foreach (var link in links.Values)
            {
                link.Exit = exit;
            }
        }

        AsyncRequestStore? asyncStore = null;
        AsyncRequests? asyncRequests = null;
        EntryForwarder? entry = null;
        if (ingress is not null)
        {
            asyncStore = AsyncRequestStore.Open(stateDirectory, fileSystem);
            asyncRequests = new AsyncRequests(ingress, asyncStore, links, time, logger);
            entry = new EntryForwarder(links, ingress, time, logger, metrics, asyncRequests);
        }

        var relay = new HttpRelay(links, entry, exit, store, invoker, logger, metrics, time) { _async = asyncRequests, _asyncStore = asyncStore };
        if (asyncRequests is not null)
        {
            // Before the links run: responses to requests answered 202 before a restart must find their streams.
            await asyncRequests.RecoverAsync().ConfigureAwait(false);
        }

        if (exit is not null)
        {
            await exit.RecoverAsync(links).ConfigureAwait(false);
        }

        foreach (var link in links.Values)
        {
            relay._loops.Add(relay._supervisor.Start("frames from " + link.Peer, link.RunAsync));
        }

        foreach (var link in links.Values)
        {
            // Streams the peer still holds for callers this node had before a restart end now.
            link.SendHeartbeat(force: true);
        }

        relay._heartbeat = time.CreateTimer(_ => relay.Heartbeat(), null, channel.HeartbeatInterval, channel.HeartbeatInterval);
        return relay;
    }

    /// <summary>
    /// What the host can see is wrong with the link to a peer, in sentences (empty when nothing is),
    /// added to the detail of a 504 so the caller learns more than "no answer".
    /// </summary>
    public Func<string, string>? DescribePeerTrouble
    {
        get => _entry?.DescribePeerTrouble;
        set
        {
            if (_entry is not null)
            {
                _entry.DescribePeerTrouble = value;
            }
        }
    }

    /// <summary>Relays one caller's request (the ingress listener's fallback handler).</summary>
    public Task ForwardAsync(HttpContext context)
    {
        if (_entry is null)
        {
            throw new InvalidOperationException("This node has no ingress.");
        }

        return _entry.ForwardAsync(context);
    }

    /// <summary><c>GET /relay/requests/{id}</c>: a request answered 202, pending or with its kept response.</summary>
    public Task ServeAsyncResponseAsync(HttpContext context, string id) =>
        _async is null ? throw new InvalidOperationException("This node has no ingress.") : _async.Endpoint.ServeAsync(context, id);

    /// <summary>Requests answered 202 still waiting for their response, and callbacks being delivered.</summary>
    public (int WaitingForResponse, int CallbacksBeingDelivered) GetAsyncStatus() =>
        _async is null ? (0, 0) : (_async.WaitingForResponse, _async.CallbacksBeingDelivered);

    /// <summary>Bytes kept responses to requests answered 202 use, and the most they may use (0, 0 without ingress).</summary>
    public (long Used, long Limit) GetAsyncStorage() => _async?.Storage ?? (0, 0);

    /// <summary>Requests the routes' cache answered, cacheable requests that went over the link, and the bytes it keeps (zeros without ingress).</summary>
    public (long Hits, long Misses, long Bytes) GetCacheStatus() =>
        _entry is null ? (0, 0, 0) : (_entry.Cache.Hits, _entry.Cache.Misses, _entry.Cache.Bytes);

    /// <summary>The routes' cache, or null without ingress.</summary>
    internal ResponseCache? Cache => _entry?.Cache;

    /// <summary>Streams in progress and malformed frames, per peer.</summary>
    public IReadOnlyList<HttpPeerStatus> GetStatus() =>
        [.. _links.Values.Select(link => new HttpPeerStatus(link.Peer, link.ActiveEntryStreams, link.ActiveExitStreams, link.MalformedFrames, link.UnsupportedVersionFrames, link.PeerSupportedVersions)
        {
            Direction = link.Direction,
            OneWaySent = link.OneWay.Sent,
            OneWaySentBytes = link.OneWay.SentBytes,
            OneWayRefused = link.OneWay.Refused,
            OneWayCalleeStatuses = link.OneWay.CalleeStatuses,
            OneWayFailed = link.OneWay.Failed,
            OneWayLate = link.OneWay.Late,
            OneWayDuplicates = link.OneWay.Duplicates,
            FramesWithheld = link.FramesWithheld,
        })];

    /// <summary>The relay's loops (one reading each peer's frames); one not running is down until its restart.</summary>
    public IReadOnlyList<LoopState> GetLoops() => _supervisor.Snapshot();

    public async ValueTask DisposeAsync()
    {
        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        if (_exit is not null)
        {
            await _exit.DisposeAsync().ConfigureAwait(false);
        }

        if (_async is not null)
        {
            await _async.DisposeAsync().ConfigureAwait(false);
        }

        if (_asyncStore is not null)
        {
            await _asyncStore.DisposeAsync().ConfigureAwait(false);
        }

        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        _invoker?.Dispose();
        _metrics.Dispose();
        _stopping.Dispose();
    }

    // Quiet streams (an event stream with nothing to say) stay open: the channel carries the sign of life, not the caller's stream.
    private void Heartbeat()
    {
        foreach (var link in _links.Values)
        {
            link.SendHeartbeat();
        }
    }
}
