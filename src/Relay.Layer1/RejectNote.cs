namespace Relay.Layer1;

/// <summary>The newest file rejected for one reason: what was wrong with it, and when.</summary>
public sealed record RejectNote(string Detail, DateTimeOffset At);
