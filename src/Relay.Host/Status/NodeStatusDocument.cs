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
    IReadOnlyDictionary<string, long> RejectedFromUnknownSenders);
