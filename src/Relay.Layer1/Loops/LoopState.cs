namespace Relay.Layer1.Loops;

/// <summary>One supervised loop as its supervisor last saw it.</summary>
/// <param name="Name">What the loop does, as logs and status name it (for example <c>inbox listing</c>).</param>
/// <param name="IsRunning">False while the loop waits to be restarted after a failure.</param>
/// <param name="Failures">How often it has failed since the node opened.</param>
/// <param name="LastError">The last failure's exception type and message, or null.</param>
/// <param name="LastFailedAt">When it last failed, or null.</param>
/// <param name="RestartsAt">While it is down: when it is started again.</param>
public sealed record LoopState(string Name, bool IsRunning, int Failures, string? LastError, DateTimeOffset? LastFailedAt, DateTimeOffset? RestartsAt);
