using Relay.Layer1.Identity;

namespace Relay.Host.Configuration;

/// <summary>A node this one trusts (<c>Relay:Peers</c>).</summary>
public sealed class PeerOptions
{
    public const string EncryptMode = "Encrypt";
    public const string NoneMode = "None";

    public string Id { get; set; } = "";

    /// <summary>The peer's public key set, written by <c>relay keygen</c> on the peer.</summary>
    public string PublicKeyFile { get; set; } = "";

    /// <summary>
    /// <c>Encrypt</c> (default): bodies to and from this peer are encrypted. <c>None</c>: they are
    /// signed only, so a mirror between the two can read (scan) them; the peer must say the same of
    /// this node. See docs/security.md.
    /// </summary>
    public string Encryption { get; set; } = EncryptMode;

    /// <summary>The body protection <see cref="Encryption"/> names (case aside, as for other settings), or null when it names none.</summary>
    public BodyProtection? ParseEncryption() =>
        string.Equals(Encryption, EncryptMode, StringComparison.OrdinalIgnoreCase) ? BodyProtection.Encrypted
        : string.Equals(Encryption, NoneMode, StringComparison.OrdinalIgnoreCase) ? BodyProtection.SignedOnly
        : null;
}
