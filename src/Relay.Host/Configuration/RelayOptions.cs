using Relay.HttpProxy;
using Relay.Layer1;

namespace Relay.Host.Configuration;

/// <summary>A node's whole configuration: the <c>Relay</c> section.</summary>
public sealed class RelayOptions
{
    public const string SectionName = "Relay";

    public NodeOptions Node { get; set; } = new();

    public IList<PeerOptions> Peers { get; } = [];

    /// <summary>The folders and the channel's tuning (<c>Relay:Exchange</c>); its state directory is the node's.</summary>
    public Layer1Options Exchange { get; set; } = new();

    /// <summary>The HTTP entry side, or null for a node that only replays.</summary>
    public IngressOptions? Ingress { get; set; }

    /// <summary>The HTTP exit side, or null for a node that only forwards.</summary>
    public EgressOptions? Egress { get; set; }

    public HttpChannelOptions Http { get; set; } = new();

    /// <summary>The operator's listener; off unless <see cref="AdminOptions.Urls"/> is set.</summary>
    public AdminOptions Admin { get; set; } = new();
}
