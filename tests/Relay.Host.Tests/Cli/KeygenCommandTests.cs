using System.IO.Abstractions;
using Relay.Layer1.Identity;

namespace Relay.Host.Tests.Cli;

public sealed class KeygenCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "relay-host-tests", Guid.NewGuid().ToString("N"));

    private static async Task<int> Run(string[] args)
    {
        using var run = new CommandLineRun();
        return await run.InvokeAsync(args);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Keygen_WritesKeyFilesThatLoad()
    {
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["keygen", "--node", "site-a", "--out", _folder]);

        Assert.Equal(0, exit);
        var fileSystem = new FileSystem();
        using var keys = NodeKeyPair.Load(fileSystem, Path.Combine(_folder, "site-a.private.json"));
        var peer = PeerPublicKeys.Load(fileSystem, Path.Combine(_folder, "site-a.public.json"));
        Assert.Equal("site-a", keys.NodeId);
        Assert.Equal(keys.PublicKeys.SigningKeyId, peer.SigningKeyId);
        Assert.Contains(peer.SigningKeyId, run.Output, StringComparison.Ordinal);
        Assert.Contains("site-a.public.json", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keygen_KeepsExistingKeysUnlessForced()
    {
        await Run(["keygen", "--node", "site-a", "--out", _folder]);
        var original = await File.ReadAllTextAsync(Path.Combine(_folder, "site-a.private.json"));

        using var refused = new CommandLineRun();
        Assert.Equal(1, await refused.InvokeAsync(["keygen", "--node", "site-a", "--out", _folder]));
        Assert.Contains("--force", refused.Error, StringComparison.Ordinal);
        Assert.Equal(original, await File.ReadAllTextAsync(Path.Combine(_folder, "site-a.private.json")));

        Assert.Equal(0, await Run(["keygen", "--node", "site-a", "--out", _folder, "--force"]));
        Assert.NotEqual(original, await File.ReadAllTextAsync(Path.Combine(_folder, "site-a.private.json")));
    }

    [Fact]
    public async Task Keygen_RefusesAnInvalidNodeIdNamingTheRule()
    {
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["keygen", "--node", "Site_A", "--out", _folder]);

        Assert.NotEqual(0, exit);
        Assert.Contains("--node 'Site_A' is not a valid node id", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_folder) && Directory.EnumerateFiles(_folder).Any());
    }
}
