namespace Relay.HttpProxy;

/// <summary>Layer 2's view of one peer.</summary>
/// <param name="Peer">The peer.</param>
/// <param name="CallerStreams">Requests this node's callers have open to the peer.</param>
/// <param name="CalleeStreams">The peer's requests this node is replaying.</param>
/// <param name="MalformedFrames">Messages from the peer that were not valid frames, since start.</param>
/// <param name="UnsupportedVersionFrames">Frames from the peer in a version this node does not speak, since start.</param>
/// <param name="PeerSupportedVersions">The versions the peer said it speaks when it could not read this node's frames, or null.</param>
public sealed record HttpPeerStatus(string Peer, int CallerStreams, int CalleeStreams, long MalformedFrames, long UnsupportedVersionFrames, IReadOnlyList<int>? PeerSupportedVersions);
