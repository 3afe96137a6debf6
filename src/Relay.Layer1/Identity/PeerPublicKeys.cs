using System.IO.Abstractions;
using System.Security.Cryptography;

namespace Relay.Layer1.Identity;

/// <summary>
/// What a node knows of a peer: its id, the ES256 key its files must be signed with, and the
/// RSA-OAEP key files for it are encrypted to. Key ids are RFC 7638 thumbprints.
/// </summary>
public sealed class PeerPublicKeys
{
    internal PeerPublicKeys(string nodeId, ECDsa signingKey, RSA encryptionKey)
    {
        Identity.NodeId.Validate(nodeId, nameof(nodeId));
        NodeId = nodeId;
        SigningKey = signingKey;
        EncryptionKey = encryptionKey;
        SigningKeyId = JsonWebKeys.Thumbprint(JsonWebKeys.FromSigningKey(signingKey, includePrivate: false));
        EncryptionKeyId = JsonWebKeys.Thumbprint(JsonWebKeys.FromEncryptionKey(encryptionKey, includePrivate: false));
    }

    /// <summary>The peer's node id.</summary>
    public string NodeId { get; }

    public ECDsa SigningKey { get; }

    public RSA EncryptionKey { get; }

    public string SigningKeyId { get; }

    public string EncryptionKeyId { get; }

    /// <summary>Reads <c>ID.public.json</c> (a JWK set); the file's node id must match its name when both say one.</summary>
    /// <exception cref="InvalidDataException">The file is not a usable public key set; the message names it.</exception>
    public static PeerPublicKeys Load(IFileSystem fileSystem, string publicJwkSetPath)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        var set = JsonWebKeys.Read(fileSystem, publicJwkSetPath);
        var nodeId = KeyFileNames.ResolveNodeId(set, publicJwkSetPath, KeyFileNames.PublicSuffix);
        var signing = JsonWebKeys.ToSigningKey(JsonWebKeys.Find(set, "sig", publicJwkSetPath), requirePrivate: false, publicJwkSetPath);
        var encryption = JsonWebKeys.ToEncryptionKey(JsonWebKeys.Find(set, "enc", publicJwkSetPath), requirePrivate: false, publicJwkSetPath);
        return new PeerPublicKeys(nodeId, signing, encryption);
    }
}
