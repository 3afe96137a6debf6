using System.IO.Abstractions;
using Relay.Layer1.Identity;

namespace Relay.Host.Tests.Cli;

public sealed class KeygenCommandTests : CliTestFolder
{
    [Fact]
    public async Task Keygen_WritesKeyFilesThatLoad()
    {
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["keygen", "--node", "site-a", "--out", Folder]);

        Assert.Equal(0, exit);
        var fileSystem = new FileSystem();
        using var keys = NodeKeyPair.Load(fileSystem, Path.Combine(Folder, "site-a.private.json"));
        var peer = PeerPublicKeys.Load(fileSystem, Path.Combine(Folder, "site-a.public.json"));
        Assert.Equal("site-a", keys.NodeId);
        Assert.Equal(keys.PublicKeys.SigningKeyId, peer.SigningKeyId);
        Assert.Contains(peer.SigningKeyId, run.Output, StringComparison.Ordinal);
        Assert.Contains("site-a.public.json", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keygen_WritesAP256EncryptionKeyForEcdhEs()
    {
        await RunAsync(["keygen", "--node", "site-a", "--out", Folder]);

        using var set = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Folder, "site-a.public.json")));
        var encryption = set.RootElement.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("use").GetString() == "enc");
        Assert.Equal(("EC", "P-256", "ECDH-ES+A256KW"), (encryption.GetProperty("kty").GetString(), encryption.GetProperty("crv").GetString(), encryption.GetProperty("alg").GetString()));
        Assert.False(encryption.TryGetProperty("n", out _), "no RSA modulus");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Keygen_PrivateKeyIsOwnerOnly_EvenOverAReadableOldOne()
    {
        await RunAsync(["keygen", "--node", "site-a", "--out", Folder]);
        var path = Path.Combine(Folder, "site-a.private.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Assert.Equal(0, await RunAsync(["keygen", "--node", "site-a", "--out", Folder, "--force"]));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Keygen_KeepsExistingKeysUnlessForced()
    {
        await RunAsync(["keygen", "--node", "site-a", "--out", Folder]);
        var original = await File.ReadAllTextAsync(Path.Combine(Folder, "site-a.private.json"));

        using var refused = new CommandLineRun();
        Assert.Equal(1, await refused.InvokeAsync(["keygen", "--node", "site-a", "--out", Folder]));
        Assert.Contains("--force", refused.Error, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllTextAsync(Path.Combine(Folder, "site-a.private.json")));

        Assert.Equal(0, await RunAsync(["keygen", "--node", "site-a", "--out", Folder, "--force"]));
        Assert.NotEqual(original, await File.ReadAllTextAsync(Path.Combine(Folder, "site-a.private.json")));
    }

    [Fact]
    public async Task Keygen_RefusesAnInvalidNodeIdNamingTheRule()
    {
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["keygen", "--node", "Site_A", "--out", Folder]);

        Assert.NotEqual(0, exit);
        Assert.Contains("--node 'Site_A' is not a valid node id", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Folder) && Directory.EnumerateFiles(Folder).Any());
    }
}
