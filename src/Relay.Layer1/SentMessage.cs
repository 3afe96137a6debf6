namespace Relay.Layer1;

/// <summary>
/// A message durably queued for a peer. <see cref="Acknowledged"/> completes when the peer reports it
/// handled; it never completes if this node restarts first (the message is still delivered). To a
/// <see cref="PeerDirection.SendOnly"/> peer, which reports nothing back, it completes once every copy
/// of the message's files and their parity files are written.
/// </summary>
public sealed record SentMessage(string Peer, long Sequence, long LastSequence, Task Acknowledged);
