namespace Relay.Host.Status;

/// <summary>Sequence numbers a node lacks from a peer while it holds a later one, in <c>relay status</c>.</summary>
public sealed record GapDocument(long From, long To, DateTimeOffset Since, double OpenSeconds);
