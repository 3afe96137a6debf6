using System.IO.Abstractions;
using System.Net;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Identity;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>A second <c>relay run</c> of a running node stops at once and leaves the first untouched.</summary>
[Collection(nameof(HeavyTests))]
public sealed class SecondInstanceTests
{
    [Fact]
    public async Task SecondRunOfARunningNode_Exits2NamingTheDirectoryAndPid_AndTheFirstKeepsServing()
    {
        using var folder = new TemporaryFolder();
        await using var callee = await TestCallee.StartAsync();
        var port = LoopbackPorts.Free();
        WriteSetup(folder, callee.BaseUrl, port);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        using var nodeA = RelayProcess.Start(Path.Combine(folder.Path, "a.json"), Path.Combine(folder.Path, "a.log"));
        using var nodeB = RelayProcess.Start(Path.Combine(folder.Path, "b.json"), Path.Combine(folder.Path, "b.log"));
        await LoopbackPorts.WaitForHealthAsync(client);
        using (var before = await client.GetAsync("/svc/echo/before"))
        {
            before.EnsureSuccessStatusCode();
        }

        var (exitA, outputA) = await RelayProcess.RunVerbAsync("run", "--config", Path.Combine(folder.Path, "a.json"));
        var (exitB, outputB) = await RelayProcess.RunVerbAsync("run", "--config", Path.Combine(folder.Path, "b.json"));

        Assert.Equal(2, exitA);
        Assert.Equal($"relay: the state directory {Path.Combine(folder.Path, "state", "a")} is in use by process {nodeA.Id}", outputA.Split(" (")[0]);
        Assert.Single(outputA.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, exitB);
        Assert.Contains($"is in use by process {nodeB.Id}", outputB, StringComparison.Ordinal);
        using var after = await client.GetAsync("/svc/echo/after");
        after.EnsureSuccessStatusCode();
        using var health = await client.GetAsync("/relay/health");
        Assert.Contains("\"up\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static void WriteSetup(TemporaryFolder folder, string calleeBaseUrl, int port)
    {
        var keys = folder.Sub("keys");
        foreach (var id in new[] { "site-a", "site-b" })
        {
            using var pair = NodeKeyPair.Generate(id);
            pair.Save(new FileSystem(), keys);
        }

        File.WriteAllText(Path.Combine(folder.Path, "a.json"), $$"""
            { "Relay": {
              "Node": { "Id": "site-a", "PrivateKeyFile": "keys/site-a.private.json", "StateDirectory": "state/a" },
              "Peers": [ { "Id": "site-b", "PublicKeyFile": "keys/site-b.public.json" } ],
              "Exchange": { "Outbox": "exchange", "Inbox": "exchange", "PollInterval": "00:00:00.200" },
              "Ingress": { "Urls": "http://127.0.0.1:{{port}}",
                           "Routes": [ { "PathPrefix": "/svc/", "Peer": "site-b", "Target": "{{calleeBaseUrl}}" } ] } } }
            """);
        File.WriteAllText(Path.Combine(folder.Path, "b.json"), $$"""
            { "Relay": {
              "Node": { "Id": "site-b", "PrivateKeyFile": "keys/site-b.private.json", "StateDirectory": "state/b" },
              "Peers": [ { "Id": "site-a", "PublicKeyFile": "keys/site-a.public.json" } ],
              "Exchange": { "Outbox": "exchange", "Inbox": "exchange", "PollInterval": "00:00:00.200" },
              "Egress": { "AllowedTargets": [ "{{calleeBaseUrl}}" ] } } }
            """);
    }
}
