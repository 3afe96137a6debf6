namespace Relay.Host.Configuration;

/// <summary>This node (<c>Relay:Node</c>).</summary>
public sealed class NodeOptions
{
    /// <summary>The node's id, as its peers know it.</summary>
    public string Id { get; set; } = "";

    /// <summary>The node's private key set, written by <c>relay keygen</c>.</summary>
    public string PrivateKeyFile { get; set; } = "";

    /// <summary>Where the node keeps its durable state.</summary>
    public string StateDirectory { get; set; } = "";
}
