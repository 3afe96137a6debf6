namespace Relay.Layer1;

/// <summary>A snapshot of a node's channels, plus files dropped that named no known peer.</summary>
public sealed record Layer1Status(string NodeId, IReadOnlyList<PeerStatus> Peers, IReadOnlyDictionary<FileRejectReason, long> RejectedFromUnknownSenders);
