using System.IO.Abstractions;
using Relay.Host.Configuration;
using Relay.Host.Hosting;
using Relay.Host.Tests.Cli;
using Relay.Layer1.Identity;

namespace Relay.Host.Tests.Hosting;

/// <summary>Each peer's configured <c>Encryption</c> reaches the keys layer 1 is opened with.</summary>
public sealed class NodeKeyringTests : CliTestFolder
{
    [Theory]
    [InlineData("Encrypt", BodyProtection.Encrypted)]
    [InlineData("encrypt", BodyProtection.Encrypted)]
    [InlineData("None", BodyProtection.SignedOnly)]
    [InlineData("none", BodyProtection.SignedOnly)]
    public void PeerEncryption_BecomesThePeersBodyProtection(string encryption, BodyProtection expected)
    {
        var fileSystem = new FileSystem();
        using (var a = NodeKeyPair.Generate("site-a"))
        using (var b = NodeKeyPair.Generate("site-b"))
        {
            a.Save(fileSystem, Folder);
            b.Save(fileSystem, Folder);
        }

        var options = new RelayOptions { Node = { Id = "site-a", PrivateKeyFile = Path.Combine(Folder, "site-a.private.json") } };
        options.Peers.Add(new PeerOptions { Id = "site-b", PublicKeyFile = Path.Combine(Folder, "site-b.public.json"), Encryption = encryption });

        var keyring = NodeKeyring.Load(options, fileSystem);
        using var own = keyring.Own;

        Assert.Equal(expected, Assert.Single(keyring.Peers).Protection);
    }
}
