using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relay.Host.Configuration;
using Relay.Host.Diagnostics;
using Relay.Host.Status;
using Relay.HttpProxy;
using Relay.Layer1;

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

    private readonly NodeKeyring _keyring;

    public RelayNode(RelayOptions options, NodeKeyring keyring, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null)
    {
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
        var services = new Layer1NodeServices { LoggerFactory = _loggerFactory, MeterFactory = _meterFactory };
        _node = Layer1Node.Open(_options.Exchange, keys, peers, services);
        _relay = await HttpRelay.StartAsync(_node, _options.Node.StateDirectory, _options.Http, _options.Ingress, _options.Egress, _loggerFactory, meterFactory: _meterFactory).ConfigureAwait(false);
        _statusTimer = TimeProvider.System.CreateTimer(_ => WriteStatus(), null, TimeSpan.Zero, StatusInterval);
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
            WriteStatus();
            await _relay.DisposeAsync().ConfigureAwait(false);
            _relay = null;
        }

        if (_node is not null)
        {
            await _node.DisposeAsync().ConfigureAwait(false);
            _node = null;
            HostLog.NodeStopped(_logger, NodeId);
        }
    }

    public NodeStatusDocument GetStatus()
    {
        var node = _node ?? throw new InvalidOperationException("The node has not started.");
        var layer1 = node.GetStatus();
        var http = _relay?.GetStatus().ToDictionary(p => p.Peer) ?? [];
        var peers = layer1.Peers.Select(peer =>
        {
            http.TryGetValue(peer.Peer, out var streams);
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
                streams?.PeerSupportedVersions);
        }).ToList();
        var (waiting, callbacks) = _relay?.GetAsyncStatus() ?? (0, 0);
        return new NodeStatusDocument(
            NodeId,
            DateTimeOffset.UtcNow,
            _options.Ingress is not null,
            _options.Egress is not null,
            peers,
            waiting,
            callbacks,
            layer1.RejectedFromUnknownSenders.ToDictionary(r => r.Key.ToString(), r => r.Value));
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private void WriteStatus()
    {
        try
        {
            StatusFile.Write(_options.Node.StateDirectory, GetStatus());
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidOperationException or ObjectDisposedException)
        {
            HostLog.StatusWriteFailed(_logger, exception);
        }
    }
}
