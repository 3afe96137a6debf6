namespace Relay.Host.Status;

/// <summary>What <c>relay status</c> and <c>GET /relay/status</c> show about a node.</summary>
public sealed record NodeStatusDocument(
    string Node,
    DateTimeOffset At,
    bool Ingress,
    bool Egress,
    IReadOnlyList<PeerStatusDocument> Peers,
    int AsyncRequestsWaiting,
    int CallbacksBeingDelivered,
    IReadOnlyDictionary<string, long> RejectedFromUnknownSenders)
{
    /// <summary><c>running</c>, or <c>stopped</c> in the last status a node writes as it stops cleanly.</summary>
    public string State { get; init; } = NodeStates.Running;

    /// <summary>Files this node wrote, found in its own inbox (its files coming back).</summary>
    public int OwnFilesInInbox { get; init; }

    /// <summary>Files for other nodes found in its inbox (crossed folders).</summary>
    public int ForeignFilesInInbox { get; init; }

    /// <summary>Bytes the responses kept for requests answered 202 use on disk.</summary>
    public long AsyncStorageBytes { get; init; }

    /// <summary>The most those responses may use (<c>Ingress:MaxAsyncStorageBytes</c>); 0 without ingress.</summary>
    public long AsyncStorageLimitBytes { get; init; }

    /// <summary>Requests the routes' cache answered without crossing the link (<c>Ingress:Routes:N:CacheTtl</c>).</summary>
    public long CacheHits { get; init; }

    /// <summary>Cacheable requests on caching routes that went over the link.</summary>
    public long CacheMisses { get; init; }

    /// <summary>Bytes the cached responses use in memory.</summary>
    public long CacheBytes { get; init; }

    /// <summary>The node's loops; one not running is down (health answers 503) until its restart.</summary>
    public IReadOnlyList<LoopStatusDocument> Loops { get; init; } = [];

    /// <summary>Loops down right now, one sentence each; empty when all run.</summary>
    public IReadOnlyList<string> Down { get; init; } = [];

    /// <summary>What the node can see is wrong with its links, one sentence each; empty when healthy.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
