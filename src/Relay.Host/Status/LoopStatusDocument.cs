namespace Relay.Host.Status;

/// <summary>One of a node's loops in <c>relay status</c>: whether it runs, and its failures so far.</summary>
public sealed record LoopStatusDocument(string Name, bool Running, int Failures, string? LastError, DateTimeOffset? LastFailedAt, DateTimeOffset? RestartsAt);
