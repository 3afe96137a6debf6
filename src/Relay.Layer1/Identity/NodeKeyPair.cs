using System.IO.Abstractions;
using System.Security.Cryptography;

namespace Relay.Layer1.Identity;

/// <summary>
/// A node's own keys: ECDSA P-256 to sign its files (ES256) and ECDH P-256 to open files encrypted
/// to it (ECDH-ES+A256KW). Stored as two JWK sets, <c>ID.private.json</c> and <c>ID.public.json</c>; the
/// public one is what peers configure.
/// </summary>
public sealed class NodeKeyPair : IDisposable
{
    private NodeKeyPair(string nodeId, ECDsa signingKey, ECDiffieHellman encryptionKey)
    {
        NodeId = nodeId;
        SigningKey = signingKey;
        EncryptionKey = encryptionKey;
        PublicKeys = new PeerPublicKeys(
            nodeId,
            ECDsa.Create(signingKey.ExportParameters(includePrivateParameters: false)),
            ECDiffieHellman.Create(encryptionKey.ExportParameters(includePrivateParameters: false)));
    }

    public string NodeId { get; }

    public ECDsa SigningKey { get; }

    public ECDiffieHellman EncryptionKey { get; }

    /// <summary>The public half, as a peer sees this node.</summary>
    public PeerPublicKeys PublicKeys { get; }

    public static NodeKeyPair Generate(string nodeId)
    {
        Identity.NodeId.Validate(nodeId, nameof(nodeId));
        return new NodeKeyPair(nodeId, ECDsa.Create(ECCurve.NamedCurves.nistP256), ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));
    }

    /// <summary>Reads <c>ID.private.json</c>.</summary>
    /// <exception cref="InvalidDataException">The file is not a usable private key set; the message names it.</exception>
    public static NodeKeyPair Load(IFileSystem fileSystem, string privateJwkSetPath)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        var set = JsonWebKeys.Read(fileSystem, privateJwkSetPath);
        var nodeId = KeyFileNames.ResolveNodeId(set, privateJwkSetPath, KeyFileNames.PrivateSuffix);
        var signing = JsonWebKeys.ToSigningKey(JsonWebKeys.Find(set, "sig", privateJwkSetPath), requirePrivate: true, privateJwkSetPath);
        var encryption = JsonWebKeys.ToEncryptionKey(JsonWebKeys.Find(set, "enc", privateJwkSetPath), requirePrivate: true, privateJwkSetPath);
        return new NodeKeyPair(nodeId, signing, encryption);
    }

    /// <summary>Writes <c>DIR/ID.private.json</c> (owner-only on Unix) and <c>DIR/ID.public.json</c>.</summary>
    public (string PrivateKeyPath, string PublicKeyPath) Save(IFileSystem fileSystem, string directory)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        fileSystem.Directory.CreateDirectory(directory);
        var privatePath = fileSystem.Path.Combine(directory, NodeId + KeyFileNames.PrivateSuffix);
        var publicPath = fileSystem.Path.Combine(directory, NodeId + KeyFileNames.PublicSuffix);
        JsonWebKeys.Write(fileSystem, privatePath, Document(includePrivate: true), isPrivate: true);
        JsonWebKeys.Write(fileSystem, publicPath, Document(includePrivate: false), isPrivate: false);
        return (privatePath, publicPath);
    }

    public void Dispose()
    {
        SigningKey.Dispose();
        EncryptionKey.Dispose();
        PublicKeys.SigningKey.Dispose();
        PublicKeys.EncryptionKey.Dispose();
    }

    private JsonWebKeySetDocument Document(bool includePrivate) => new()
    {
        NodeId = NodeId,
        Keys = [JsonWebKeys.FromSigningKey(SigningKey, includePrivate), JsonWebKeys.FromEncryptionKey(EncryptionKey, includePrivate)],
    };
}
