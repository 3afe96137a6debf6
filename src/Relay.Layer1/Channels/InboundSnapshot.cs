namespace Relay.Layer1.Channels;

/// <summary>What an inbound channel holds, read into <see cref="PeerStatus"/>.</summary>
internal readonly record struct InboundSnapshot(
    long HandledThrough,
    long Held,
    long HeldBytes,
    long HeldOnDiskBytes,
    long HighestReceived,
    long Missing,
    IReadOnlyList<SequenceGap> Gaps);
