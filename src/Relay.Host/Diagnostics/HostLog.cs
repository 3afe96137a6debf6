using Microsoft.Extensions.Logging;

namespace Relay.Host.Diagnostics;

/// <summary>Log messages of the <c>relay</c> host. Event ids 3000–3099.</summary>
internal static partial class HostLog
{
    [LoggerMessage(3000, LogLevel.Information, "Node {Node} running: {Peers} peer(s), ingress {Ingress}, egress {Egress}")]
    public static partial void NodeStarted(ILogger logger, string node, int peers, bool ingress, bool egress);

    [LoggerMessage(3001, LogLevel.Information, "Node {Node} stopped")]
    public static partial void NodeStopped(ILogger logger, string node);

    [LoggerMessage(3002, LogLevel.Warning, "Writing the status file failed")]
    public static partial void StatusWriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(3060, LogLevel.Information, "Admin listener on {Addresses}")]
    public static partial void AdminListening(ILogger logger, string addresses);

    [LoggerMessage(3061, LogLevel.Information, "Ingress listening on {Addresses}")]
    public static partial void IngressListening(ILogger logger, string addresses);

    [LoggerMessage(3062, LogLevel.Warning, "Link degraded: {Warning}")]
    public static partial void LinkWarning(ILogger logger, string warning);
}
