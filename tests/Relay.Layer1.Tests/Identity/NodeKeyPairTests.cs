using System.IO.Abstractions;
using System.Security.Cryptography;
using Relay.Layer1.Identity;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Identity;

public sealed class NodeKeyPairTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly FileSystem _fileSystem = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void SavedKeys_LoadBackAndWorkTogether()
    {
        using var generated = NodeKeyPair.Generate("site-x");
        var (privatePath, publicPath) = generated.Save(_fileSystem, _folder.Path);

        using var loaded = NodeKeyPair.Load(_fileSystem, privatePath);
        var peer = PeerPublicKeys.Load(_fileSystem, publicPath);

        Assert.EndsWith("site-x.private.json", privatePath, StringComparison.Ordinal);
        Assert.EndsWith("site-x.public.json", publicPath, StringComparison.Ordinal);
        Assert.Equal("site-x", loaded.NodeId);
        Assert.Equal("site-x", peer.NodeId);
        Assert.Equal(generated.PublicKeys.SigningKeyId, peer.SigningKeyId);
        Assert.Equal(generated.PublicKeys.EncryptionKeyId, peer.EncryptionKeyId);

        var data = "signed"u8.ToArray();
        Assert.True(peer.SigningKey.VerifyData(data, loaded.SigningKey.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(ephemeral.DeriveRawSecretAgreement(peer.EncryptionKey.PublicKey), loaded.EncryptionKey.DeriveRawSecretAgreement(ephemeral.PublicKey));
    }

    [Fact]
    public void EncryptionKey_IsAP256KeyForEcdhEsWithKeyWrap()
    {
        using var keys = NodeKeyPair.Generate("site-x");
        var (_, publicPath) = keys.Save(_fileSystem, _folder.Path);

        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(publicPath));
        var encryption = document.RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("use").GetString() == "enc");
        Assert.Equal("EC", encryption.GetProperty("kty").GetString());
        Assert.Equal("P-256", encryption.GetProperty("crv").GetString());
        Assert.Equal("ECDH-ES+A256KW", encryption.GetProperty("alg").GetString());
        Assert.Equal(keys.PublicKeys.EncryptionKeyId, encryption.GetProperty("kid").GetString());
    }

    [Fact]
    public void PublicFile_HoldsNoPrivateMembers_AndPrivateFileIsOwnerOnly()
    {
        using var keys = NodeKeyPair.Generate("site-x");
        var (privatePath, publicPath) = keys.Save(_fileSystem, _folder.Path);

        var publicJson = File.ReadAllText(publicPath);
        Assert.DoesNotContain("\"d\"", publicJson, StringComparison.Ordinal);
        Assert.DoesNotContain("\"p\"", publicJson, StringComparison.Ordinal);
        Assert.Contains("\"kid\"", publicJson, StringComparison.Ordinal);
        Assert.Contains("\"d\"", File.ReadAllText(privatePath), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(privatePath));
        }
    }

    [Fact]
    public void PublicFile_CannotBeLoadedAsAPrivateKey()
    {
        using var keys = NodeKeyPair.Generate("site-x");
        var (_, publicPath) = keys.Save(_fileSystem, _folder.Path);
        var error = Assert.Throws<InvalidDataException>(() => NodeKeyPair.Load(_fileSystem, publicPath));
        Assert.Contains(publicPath, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"keys\":[]}")]
    [InlineData("{\"keys\":[{\"kty\":\"EC\",\"use\":\"sig\",\"crv\":\"P-256\",\"x\":\"!!\",\"y\":\"AA\"}]}")]
    public void BadKeyFile_FailsNamingTheFile(string content)
    {
        var path = Path.Combine(_folder.Path, "site-x.public.json");
        File.WriteAllText(path, content);
        var error = Assert.Throws<InvalidDataException>(() => PeerPublicKeys.Load(_fileSystem, path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFileNamedForAnotherNode_IsRefused()
    {
        using var keys = NodeKeyPair.Generate("site-x");
        var (_, publicPath) = keys.Save(_fileSystem, _folder.Path);
        var renamed = Path.Combine(_folder.Path, "site-y.public.json");
        File.Move(publicPath, renamed);

        var error = Assert.Throws<InvalidDataException>(() => PeerPublicKeys.Load(_fileSystem, renamed));
        Assert.Contains("site-x", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("site-a", true)]
    [InlineData("a", true)]
    [InlineData("0-9", true)]
    [InlineData("Site-A", false)]
    [InlineData("-site", false)]
    [InlineData("site-", false)]
    [InlineData("site_a", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void NodeIds_FollowTheDnsLabelRule(string? id, bool valid) => Assert.Equal(valid, NodeId.IsValid(id));

    [Fact]
    public void RelayNodeMember_NamesTheNode_WhateverTheFileIsCalled()
    {
        using var keys = NodeKeyPair.Generate("site-x");
        var (_, publicPath) = keys.Save(_fileSystem, _folder.Path);
        var renamed = Path.Combine(_folder.Path, "peer-keys.json");
        File.Move(publicPath, renamed);

        Assert.Equal("site-x", PeerPublicKeys.Load(_fileSystem, renamed).NodeId);
    }

    [Fact]
    public void WithoutRelayNode_TheFileNameNamesTheNode()
    {
        var publicPath = SaveWithoutRelayNode("site-x.public.json");
        Assert.Equal("site-x", PeerPublicKeys.Load(_fileSystem, publicPath).NodeId);
    }

    [Fact]
    public void WithoutRelayNode_AndAnotherFileName_IsRefused()
    {
        var publicPath = SaveWithoutRelayNode("peer-keys.json");
        var error = Assert.Throws<InvalidDataException>(() => PeerPublicKeys.Load(_fileSystem, publicPath));
        Assert.Contains("no valid node id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RsaEncryptionKey_OfAnEarlierFormat_IsRefused()
    {
        var publicPath = SaveWithoutRelayNode("site-x.public.json");
        var set = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(publicPath))!;
        var enc = set["keys"]!.AsArray().Single(k => (string?)k!["use"] == "enc")!;
        enc["kty"] = "RSA";
        enc["alg"] = "RSA-OAEP";
        File.WriteAllText(publicPath, set.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => PeerPublicKeys.Load(_fileSystem, publicPath));
        Assert.Contains("the encryption key must be an EC P-256 key", error.Message, StringComparison.Ordinal);
    }

    private string SaveWithoutRelayNode(string fileName)
    {
        using var keys = NodeKeyPair.Generate("site-x");
        var folder = Path.Combine(_folder.Path, Guid.NewGuid().ToString("N"));
        var (_, publicPath) = keys.Save(_fileSystem, folder);
        var set = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(publicPath))!.AsObject();
        set.Remove("relay_node");
        var path = Path.Combine(folder, fileName);
        File.Delete(publicPath);
        File.WriteAllText(path, set.ToJsonString());
        return path;
    }
}
