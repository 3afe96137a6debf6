using Relay.Layer1;
using Relay.Layer1.Identity;
using Relay.Layer1.OneWay;

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

    /// <summary>
    /// Copies written of each file to a <c>SendOnly</c> peer, each sealed under its own name (1–8;
    /// default 2 on <c>SendOnly</c>, where nothing is resent by itself). Not allowed on other directions.
    /// </summary>
    public int? Redundancy { get; set; }

    /// <summary>
    /// One parity file after every K data files to a <c>SendOnly</c> peer, from which the receiver
    /// rebuilds any one lost file of the group (0–64, 0 writes none; default 8 on <c>SendOnly</c>).
    /// Not allowed on other directions.
    /// </summary>
    public int? ParityEvery { get; set; }

    /// <summary>
    /// How long what was sent to a <c>SendOnly</c> peer stays in the state store, so a gap report
    /// carried back by hand can still be served with <c>relay resend</c> (default 7 days). Not allowed on other directions.
    /// </summary>
    public TimeSpan? KeepSentFor { get; set; }

    /// <summary>The one-way settings these options give a peer in <paramref name="direction"/>: the configured values over the direction's defaults.</summary>
    public OneWaySettings ToOneWaySettings(PeerDirection direction)
    {
        var defaults = OneWaySettings.DefaultsFor(direction);
        return defaults with
        {
            Redundancy = Redundancy ?? defaults.Redundancy,
            ParityEvery = ParityEvery ?? defaults.ParityEvery,
            KeepSentFor = KeepSentFor ?? defaults.KeepSentFor,
        };
    }

    /// <summary>The direction <see cref="Direction"/> names (case aside), or null when it names none.</summary>
    public PeerDirection? ParseDirection() =>
        Enum.TryParse<PeerDirection>(Direction, ignoreCase: true, out var direction) && Enum.IsDefined(direction) && !int.TryParse(Direction, out _) ? direction : null;

    /// <summary>The body protection <see cref="Encryption"/> names (case aside, as for other settings), or null when it names none.</summary>
    public BodyProtection? ParseEncryption() =>
        string.Equals(Encryption, EncryptMode, StringComparison.OrdinalIgnoreCase) ? BodyProtection.Encrypted
        : string.Equals(Encryption, NoneMode, StringComparison.OrdinalIgnoreCase) ? BodyProtection.SignedOnly
        : null;
}
