namespace Relay.HttpProxy;

/// <summary>How HTTP bodies share a channel (configuration section <c>Relay:Http</c>).</summary>
public sealed class HttpChannelOptions
{
    /// <summary>Largest body chunk per message. Larger chunks cost fewer messages; smaller ones interleave streams more finely.</summary>
    public int ChunkBytes { get; set; } = 256 * 1024;

    /// <summary>Encoded body bytes one stream direction may have on the way before the receiver grants more: bounds memory per stream.</summary>
    public int StreamWindowBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// How far a receiver may grow a stream's window on a slow link, so that one stream can keep
    /// bandwidth × round trip in flight; on a fast local link windows stay at <see cref="StreamWindowBytes"/>.
    /// </summary>
    public long MaxStreamWindowBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Body bytes all streams to one peer may have unacknowledged in layer 1 (on disk there); keep it
    /// below the channel's window so small messages always fit.
    /// </summary>
    public long PeerBodyBudgetBytes { get; set; } = 448L * 1024 * 1024;

    /// <summary>How often a node tells each peer which streams its callers hold open; the peer ends any stream a heartbeat no longer lists.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a body may wait for the far side to make room before the stream is reset.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long no file may come from a peer, while requests wait for it, before the node reports the link degraded.</summary>
    public TimeSpan PeerSilenceWarning { get; set; } = TimeSpan.FromMinutes(5);
}
