namespace Relay.HttpProxy;

/// <summary>Layer 2's view of one peer.</summary>
/// <param name="Peer">The peer.</param>
/// <param name="CallerStreams">Requests this node's callers have open to the peer.</param>
/// <param name="CalleeStreams">The peer's requests this node is replaying.</param>
/// <param name="MalformedFrames">Messages from the peer that were not valid frames, since start.</param>
/// <param name="UnsupportedVersionFrames">Frames from the peer in a version this node does not speak, since start.</param>
/// <param name="PeerSupportedVersions">The versions the peer said it speaks when it could not read this node's frames, or null.</param>
public sealed record HttpPeerStatus(string Peer, int CallerStreams, int CalleeStreams, long MalformedFrames, long UnsupportedVersionFrames, IReadOnlyList<int>? PeerSupportedVersions)
{
    /// <summary>Which way the link to the peer carries files.</summary>
    public Relay.Layer1.PeerDirection Direction { get; init; }

    /// <summary>Requests sent one-way to the peer and answered 202, since start (the peer sends nothing back).</summary>
    public long OneWaySent { get; init; }

    /// <summary>Body bytes of the requests in <see cref="OneWaySent"/>, as their callers sent them.</summary>
    public long OneWaySentBytes { get; init; }

    /// <summary>Requests on a one-way route to the peer refused with 501 because they need a response, since start.</summary>
    public long OneWayRefused { get; init; }

    /// <summary>The peer's one-way requests replayed here, by the callee's status, since start (the peer is never told).</summary>
    public IReadOnlyDictionary<int, long> OneWayCalleeStatuses { get; init; } = new Dictionary<int, long>();

    /// <summary>The peer's one-way requests that got no response from the callee (unreachable, timed out, not allowed), since start.</summary>
    public long OneWayFailed { get; init; }

    /// <summary>The peer's one-way requests that arrived after their deadline and were not called, since start.</summary>
    public long OneWayLate { get; init; }

    /// <summary>Copies of the peer's one-way requests that arrived again and were not replayed twice, since start.</summary>
    public long OneWayDuplicates { get; init; }

    /// <summary>Frames not written to the peer because it reads nothing from this node, since start.</summary>
    public long FramesWithheld { get; init; }
}
