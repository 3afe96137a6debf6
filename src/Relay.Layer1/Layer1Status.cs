using Relay.Layer1.Loops;

namespace Relay.Layer1;

/// <summary>A snapshot of a node's channels, plus files dropped that named no known peer.</summary>
public sealed record Layer1Status(string NodeId, IReadOnlyList<PeerStatus> Peers, IReadOnlyDictionary<FileRejectReason, long> RejectedFromUnknownSenders)
{
    /// <summary>Files this node wrote, found in its inbox at the last listing (its own files coming back); 0 when inbox and outbox are one folder.</summary>
    public int OwnFilesInInbox { get; init; }

    /// <summary>Files addressed to other nodes, found in its inbox at the last listing (crossed folders); 0 when inbox and outbox are one folder.</summary>
    public int ForeignFilesInInbox { get; init; }

    /// <summary>The node's loops (a writer per peer, the inbox listing and reader); one not running is down until its restart.</summary>
    public IReadOnlyList<LoopState> Loops { get; init; } = [];
}
