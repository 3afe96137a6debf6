namespace Relay.HttpProxy;

/// <summary>The node's HTTP exit side (<c>Relay:Egress</c>).</summary>
public sealed class EgressOptions
{
    /// <summary>Base URLs requests may be replayed to; a target must share scheme, host and port and start with the path.</summary>
    public IList<string> AllowedTargets { get; } = [];

    /// <summary>How long connecting to a callee may take before the caller gets 502.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a response to a request carrying the caller's <c>Idempotency-Key</c> is kept for repeats.</summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a request from a peer this node cannot answer (<c>ReceiveOnly</c>) is remembered once
    /// replayed, so that a copy of it arriving again (its sender resent it) is not replayed a second
    /// time. Keep it at least as long as the sender keeps what it sent.
    /// </summary>
    public TimeSpan OneWayRequestLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The largest response body kept for repeats of an <c>Idempotency-Key</c>; a repeat of a larger one gets 409.</summary>
    public long MaxStoredResponseBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Connections to one callee (scheme, host and port) at the most; further requests wait for one.</summary>
    public int MaxConnectionsPerTarget { get; set; } = 256;

    /// <summary>
    /// How far the entry node's clock may be ahead of this one's. A request that arrives whole after its
    /// deadline (by the entry node's clock) plus this is never called: its caller has had a 504.
    /// </summary>
    public TimeSpan ClockSkewAllowance { get; set; } = TimeSpan.FromSeconds(5);
}
