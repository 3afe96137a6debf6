namespace Relay.Host.Status;

/// <summary>The values of <see cref="NodeStatusDocument.State"/>.</summary>
public static class NodeStates
{
    public const string Running = "running";
    public const string Stopped = "stopped";
}
