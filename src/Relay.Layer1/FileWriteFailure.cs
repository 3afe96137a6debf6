namespace Relay.Layer1;

/// <summary>The newest file that could not be written to the outbox: why, and when.</summary>
public sealed record FileWriteFailure(string Detail, DateTimeOffset At);
