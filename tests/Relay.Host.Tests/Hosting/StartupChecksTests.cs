using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Relay.Host.Tests.Cli;

namespace Relay.Host.Tests.Hosting;

/// <summary>
/// Every mistake with key files and ports stops <c>relay run</c> before the node opens anything,
/// with exit code 2 and one line that names the key and the file: never a stack trace.
/// </summary>
public sealed class StartupChecksTests : CliTestFolder
{
    private string Keys => Path.Combine(Folder, "keys");

    [Fact]
    public async Task CorruptPrivateKey_IsOneLineNamingTheKeyAndFile()
    {
        var config = await WriteNodeAsync();
        await File.WriteAllTextAsync(Path.Combine(Keys, "site-a.private.json"), "{ this is not json");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Node:PrivateKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("site-a.private.json: not a JWK set", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EmptyPrivateKey_SaysTheFileIsEmpty()
    {
        var config = await WriteNodeAsync();
        await File.WriteAllTextAsync(Path.Combine(Keys, "site-a.private.json"), "");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Node:PrivateKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("the key file is empty", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublicOnlyPrivateKey_SaysThePrivatePartIsMissing()
    {
        var config = await WriteNodeAsync();
        File.Copy(Path.Combine(Keys, "site-a.public.json"), Path.Combine(Keys, "site-a.private.json"), overwrite: true);

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Node:PrivateKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("has no private part", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoKeysOfOneUse_AreCountedNotAStackTrace()
    {
        var config = await WriteNodeAsync();
        var path = Path.Combine(Keys, "site-a.private.json");
        var set = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        var keys = set["keys"]!.AsArray();
        keys.Add(keys.First(k => (string?)k!["use"] == "sig")!.DeepClone());
        await File.WriteAllTextAsync(path, set.ToJsonString());

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Node:PrivateKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("has 2 keys with \"use\": \"sig\"", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Sequence contains", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyPathThatIsAFolder_SaysSo()
    {
        var config = await WriteNodeAsync(privateKey: "keys");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Node:PrivateKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("is a folder, not a key file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeersPrivateKeyAsItsPublicKey_IsRefused()
    {
        var config = await WriteNodeAsync(peerKey: "keys/site-b.private.json");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Peers:0:PublicKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("holds private key material", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrivateKeyOfAnotherNode_NamesBothIds()
    {
        await RunAsync(["keygen", "--node", "site-x", "--out", Keys]);
        var config = await WriteNodeAsync(privateKey: "keys/site-x.private.json");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Node:PrivateKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("holds the keys of node 'site-x', but Relay:Node:Id is 'site-a'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnPublicKeyAsThePeers_SaysItIsThisNodesOwn()
    {
        var config = await WriteNodeAsync(peerKey: "keys/site-a.public.json");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Peers:0:PublicKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("holds this node's own public keys (node 'site-a'", error, StringComparison.Ordinal);
        Assert.Contains("not those of peer 'site-b'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("listed twice", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeerKeyOfAnotherNode_NamesBothIds()
    {
        await RunAsync(["keygen", "--node", "site-c", "--out", Keys]);
        var config = await WriteNodeAsync(peerKey: "keys/site-c.public.json");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Peers:0:PublicKeyFile", error, StringComparison.Ordinal);
        Assert.Contains("holds the keys of node 'site-c', but Relay:Peers:0:Id is 'site-b'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IngressPortInUse_StopsBeforeTheChannelsOpen()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var config = await WriteNodeAsync(ingressUrls: $"http://127.0.0.1:{port}");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Ingress:Urls", error, StringComparison.Ordinal);
        Assert.Contains($"port {port} on 127.0.0.1 is already in use", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Folder, "state", "a", "relay-state.db")), "the node opened its state before checking its port");
    }

    [Fact]
    public async Task AdminPortInUse_IsReportedByItsKey()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var config = await WriteNodeAsync(adminUrls: $"http://127.0.0.1:{port}");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Admin:Urls", error, StringComparison.Ordinal);
        Assert.Contains("already in use", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StateDirectoryThatCannotBeMade_IsOneLineNamingTheKey()
    {
        var config = await WriteNodeAsync();
        // A file where the state directory's parent should be: the folder cannot be created.
        await File.WriteAllTextAsync(Path.Combine(Folder, "state"), "not a folder");

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Node:StateDirectory: cannot use", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Sign")]
    [InlineData("")]
    [InlineData("RSA-OAEP")]
    public async Task UnknownPeerEncryption_IsOneLineNamingTheKey(string value)
    {
        var config = await WriteNodeAsync(encryption: value);

        var error = await RunFailingAsync(config);

        Assert.Contains("Relay:Peers:0:Encryption", error, StringComparison.Ordinal);
        Assert.Contains("is not Encrypt or None", error, StringComparison.Ordinal);
    }

    /// <summary>Runs the node, which must stop by itself with exit code 2 and a single line on stderr.</summary>
    private static async Task<string> RunFailingAsync(string config)
    {
        using var run = new CommandLineRun();
        // A check that lets the node start would leave it running: stop it so the test fails instead of hanging.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var exit = await run.InvokeAsync(["run", "--config", config], timeout.Token);

        Assert.Equal(2, exit);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("relay: invalid configuration in ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        return lines[0];
    }

    private async Task<string> WriteNodeAsync(
        string privateKey = "keys/site-a.private.json", string peerKey = "keys/site-b.public.json", string ingressUrls = "http://127.0.0.1:0", string adminUrls = "", string encryption = "Encrypt")
    {
        foreach (var id in new[] { "site-a", "site-b" })
        {
            if (!File.Exists(Path.Combine(Keys, id + ".private.json")))
            {
                await RunAsync(["keygen", "--node", id, "--out", Keys]);
            }
        }

        var path = Path.Combine(Folder, "a.json");
        await File.WriteAllTextAsync(path, $$"""
            { "Relay": {
                "Node": { "Id": "site-a", "PrivateKeyFile": "{{privateKey}}", "StateDirectory": "state/a" },
                "Peers": [ { "Id": "site-b", "PublicKeyFile": "{{peerKey}}", "Encryption": "{{encryption}}" } ],
                "Exchange": { "Outbox": "exchange", "Inbox": "exchange" },
                "Admin": { "Urls": "{{adminUrls}}" },
                "Ingress": { "Urls": "{{ingressUrls}}",
                             "Routes": [ { "PathPrefix": "/svc/", "Peer": "site-b", "Target": "http://127.0.0.1:9000/" } ] } } }
            """);
        return path;
    }
}
