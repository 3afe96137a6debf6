namespace Relay.Host.Status;

/// <summary>The body of <c>GET /relay/health</c>.</summary>
public sealed record HealthDocument(string Status, string Node);
