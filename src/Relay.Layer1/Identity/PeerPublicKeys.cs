using System.IO.Abstractions;
using System.Security.Cryptography;
using Relay.Layer1.OneWay;

namespace Relay.Layer1.Identity;

/// <summary>
/// What a node knows of a peer: its id, the ES256 key its files must be signed with, the P-256
/// key files for it are encrypted to (ECDH-ES+A256KW), and whether bodies between the two are
/// encrypted. Key ids are RFC 7638 thumbprints.
/// </summary>
public sealed class PeerPublicKeys
{
    internal PeerPublicKeys(string nodeId, ECDsa signingKey, ECDiffieHellman encryptionKey)
    {
        Identity.NodeId.Validate(nodeId, nameof(nodeId));
        NodeId = nodeId;
        SigningKey = signingKey;
        EncryptionKey = encryptionKey;
        SigningKeyId = JsonWebKeys.Thumbprint(JsonWebKeys.FromSigningKey(signingKey, includePrivate: false));
        EncryptionKeyId = JsonWebKeys.Thumbprint(JsonWebKeys.FromEncryptionKey(encryptionKey, includePrivate: false));
    }

    private PeerPublicKeys(PeerPublicKeys other)
    {
        NodeId = other.NodeId;
        SigningKey = other.SigningKey;
        EncryptionKey = other.EncryptionKey;
        SigningKeyId = other.SigningKeyId;
        EncryptionKeyId = other.EncryptionKeyId;
        Protection = other.Protection;
        Direction = other.Direction;
        OneWay = other.OneWay;
    }

    /// <summary>The peer's node id.</summary>
    public string NodeId { get; }

    public ECDsa SigningKey { get; }

    public ECDiffieHellman EncryptionKey { get; }

    /// <summary>
    /// How bodies to and from this peer are protected; both ends configure the same, and a file in
    /// the other mode is rejected (<see cref="FileRejectReason.ProtectionMismatch"/>).
    /// </summary>
    public BodyProtection Protection { get; private init; } = BodyProtection.Encrypted;

    /// <summary>The same peer and keys, with bodies to and from it protected as <paramref name="protection"/> says.</summary>
    public PeerPublicKeys WithProtection(BodyProtection protection) =>
        new(this) { Protection = protection };

    /// <summary>Which way files move between this node and the peer; the peer configures the opposite.</summary>
    public PeerDirection Direction { get; private init; } = PeerDirection.Both;

    /// <summary>
    /// The same peer and keys, with files moving only the way <paramref name="direction"/> says, and
    /// the one-way settings that direction has by default (<see cref="OneWaySettings.DefaultsFor"/>).
    /// </summary>
    public PeerPublicKeys WithDirection(PeerDirection direction) =>
        new(this) { Direction = direction, OneWay = OneWaySettings.DefaultsFor(direction) };

    /// <summary>Copies, parity and retention of what is sent to the peer; see <see cref="OneWaySettings"/>.</summary>
    public OneWaySettings OneWay { get; private init; } = OneWaySettings.DefaultsFor(PeerDirection.Both);

    /// <summary>The same peer, keys and direction, sent to as <paramref name="settings"/> say; checked when the node opens.</summary>
    public PeerPublicKeys WithOneWay(OneWaySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new(this) { OneWay = settings };
    }

    public string SigningKeyId { get; }

    public string EncryptionKeyId { get; }

    /// <summary>Reads <c>ID.public.json</c> (a JWK set); the file's node id must match its name when both say one.</summary>
    /// <exception cref="InvalidDataException">The file is not a usable public key set; the message names it.</exception>
    public static PeerPublicKeys Load(IFileSystem fileSystem, string publicJwkSetPath)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        var set = JsonWebKeys.Read(fileSystem, publicJwkSetPath);
        if (JsonWebKeys.HasPrivateMembers(set))
        {
            // A peer's private key has no business here: refusing it keeps the secret from being relied on (and copied) further.
            throw new InvalidDataException(
                $"{publicJwkSetPath}: holds private key material; a peer is configured with its public key file ({KeyFileNames.PublicSuffix}). "
                + "The private key has left its node: consider generating new keys there.");
        }

        var nodeId = KeyFileNames.ResolveNodeId(set, publicJwkSetPath, KeyFileNames.PublicSuffix);
        var signing = JsonWebKeys.ToSigningKey(JsonWebKeys.Find(set, "sig", publicJwkSetPath), requirePrivate: false, publicJwkSetPath);
        var encryption = JsonWebKeys.ToEncryptionKey(JsonWebKeys.Find(set, "enc", publicJwkSetPath), requirePrivate: false, publicJwkSetPath);
        return new PeerPublicKeys(nodeId, signing, encryption);
    }
}
