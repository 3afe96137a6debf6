namespace Relay.Host.Configuration;

/// <summary>A node this one trusts (<c>Relay:Peers</c>).</summary>
public sealed class PeerOptions
{
    public string Id { get; set; } = "";

    /// <summary>The peer's public key set, written by <c>relay keygen</c> on the peer.</summary>
    public string PublicKeyFile { get; set; } = "";
}
