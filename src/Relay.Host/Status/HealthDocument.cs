namespace Relay.Host.Status;

/// <summary>The body of <c>GET /relay/health</c>: <c>up</c>, <c>degraded</c> or <c>down</c> (with reasons), or <c>starting</c>.</summary>
public sealed record HealthDocument(string Status, string Node)
{
    /// <summary>Why the node is degraded or down, one sentence each; empty otherwise.</summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];
}
