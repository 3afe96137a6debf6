using System.IO.Abstractions;
using Relay.Host.Configuration;
using Relay.Layer1;
using Relay.Layer1.Identity;

namespace Relay.Host.Hosting;

/// <summary>
/// The node's own keys and its peers' public keys, loaded from the files the configuration names
/// and checked against it: a key file that speaks for another node than the one it is configured
/// for is refused, so a node never runs under the wrong identity or trusts the wrong key.
/// </summary>
public sealed class NodeKeyring
{
    private NodeKeyring(NodeKeyPair own, IReadOnlyList<PeerPublicKeys> peers)
    {
        Own = own;
        Peers = peers;
    }

    public NodeKeyPair Own { get; }

    public IReadOnlyList<PeerPublicKeys> Peers { get; }

    /// <summary>Loads every key file of <paramref name="options"/>.</summary>
    /// <exception cref="InvalidDataException">A key file is unusable or speaks for the wrong node; the message names the key and the file.</exception>
    public static NodeKeyring Load(RelayOptions options, IFileSystem fileSystem)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string ownKey = RelayOptions.SectionName + ":Node:PrivateKeyFile";
        var own = Named(ownKey, () => NodeKeyPair.Load(fileSystem, options.Node.PrivateKeyFile));
        if (own.NodeId != options.Node.Id)
        {
            throw new InvalidDataException(
                $"{ownKey}: '{options.Node.PrivateKeyFile}' holds the keys of node '{own.NodeId}', but Relay:Node:Id is '{options.Node.Id}'. "
                + $"Point it at {options.Node.Id}.private.json, or create that with: relay keygen --node {options.Node.Id} --out DIR");
        }

        var peers = new List<PeerPublicKeys>(options.Peers.Count);
        for (var i = 0; i < options.Peers.Count; i++)
        {
            var peer = options.Peers[i];
            var key = $"{RelayOptions.SectionName}:Peers:{i}:PublicKeyFile";
            var keys = Named(key, () => PeerPublicKeys.Load(fileSystem, peer.PublicKeyFile));
            if (keys.SigningKeyId == own.PublicKeys.SigningKeyId || keys.EncryptionKeyId == own.PublicKeys.EncryptionKeyId)
            {
                throw new InvalidDataException(
                    $"{key}: '{peer.PublicKeyFile}' holds this node's own public keys (node '{own.NodeId}', signing key id {keys.SigningKeyId}), not those of peer '{peer.Id}'. "
                    + $"Use the {peer.Id}.public.json that relay keygen wrote on {peer.Id}.");
            }

            if (keys.NodeId != peer.Id)
            {
                throw new InvalidDataException(
                    $"{key}: '{peer.PublicKeyFile}' holds the keys of node '{keys.NodeId}', but Relay:Peers:{i}:Id is '{peer.Id}'. "
                    + $"Use the {peer.Id}.public.json that relay keygen wrote on {peer.Id}, or correct the id.");
            }

            var direction = peer.ParseDirection() ?? PeerDirection.Both;
            peers.Add(keys.WithProtection(peer.ParseEncryption() ?? BodyProtection.Encrypted).WithDirection(direction).WithOneWay(peer.ToOneWaySettings(direction)));
        }

        return new NodeKeyring(own, peers);
    }

    private static T Named<T>(string key, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (InvalidDataException exception)
        {
            throw new InvalidDataException($"{key}: {exception.Message}", exception);
        }
    }
}
