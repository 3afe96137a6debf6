using Relay.Layer1;
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

    /// <summary>
    /// <c>Both</c> (default), <c>SendOnly</c> (this node only writes to the peer: a data diode or an
    /// export-only mirror) or <c>ReceiveOnly</c> (it only reads from the peer). The peer sets the opposite.
    /// </summary>
    public string Direction { get; set; } = nameof(PeerDirection.Both);

    /// <summary>The direction <see cref="Direction"/> names (case aside), or null when it names none.</summary>
    public PeerDirection? ParseDirection() =>
        Enum.TryParse<PeerDirection>(Direction, ignoreCase: true, out var direction) && Enum.IsDefined(direction) && !int.TryParse(Direction, out _) ? direction : null;

    /// <summary>The body protection <see cref="Encryption"/> names (case aside, as for other settings), or null when it names none.</summary>
    public BodyProtection? ParseEncryption() =>
        string.Equals(Encryption, EncryptMode, StringComparison.OrdinalIgnoreCase) ? BodyProtection.Encrypted
        : string.Equals(Encryption, NoneMode, StringComparison.OrdinalIgnoreCase) ? BodyProtection.SignedOnly
        : null;
}
