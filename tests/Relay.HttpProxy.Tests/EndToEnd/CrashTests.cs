using System.Collections.Concurrent;
using System.IO.Abstractions;
using System.Net;
using System.Text;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;
using Relay.Layer1.Identity;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// Both nodes as real <c>relay run</c> processes over a faulty folder, each killed with SIGKILL
/// mid-load and started again. Callers do what careful callers do: send an <c>Idempotency-Key</c>
/// and repeat the request with it when they get no answer or an unknown outcome.
/// </summary>
[Collection(nameof(HeavyTests))]
public sealed class CrashTests
{
    private const int Requests = 240;

    private static readonly FaultProfile Faulty = HostileFolder.Profile(21);

    [Fact]
    public async Task KillingEachNodeMidLoad_LosesNothing_AndNoRequestIsServedTwice()
    {
        using var folder = new TemporaryFolder();
        await using var callee = await TestCallee.StartAsync();
        var port = LoopbackPorts.Free();
        WriteSetup(folder, callee.BaseUrl, port);
        var fileSystem = new FileSystem();
        await using var toB = new FaultInjectingFolderPipe(fileSystem, folder.Sub("a-out"), folder.Sub("b-in"), Faulty);
        await using var toA = new FaultInjectingFolderPipe(fileSystem, folder.Sub("b-out"), folder.Sub("a-in"), Faulty with { Seed = 22 });
        await toB.StartAsync(CancellationToken.None);
        await toA.StartAsync(CancellationToken.None);

        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 100 })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        var nodeA = RelayProcess.Start(Path.Combine(folder.Path, "a.json"), Path.Combine(folder.Path, "a.log"));
        var nodeB = RelayProcess.Start(Path.Combine(folder.Path, "b.json"), Path.Combine(folder.Path, "b.log"));
        try
        {
            await LoopbackPorts.WaitForHealthAsync(client);
            var answered = 0;
            var attempts = new ConcurrentDictionary<int, int>();
            using var limit = new SemaphoreSlim(24);
            var callers = Enumerable.Range(0, Requests).Select(async i =>
            {
                await limit.WaitAsync();
                try
                {
                    await CallUntilAnsweredAsync(client, i, attempts);
                    Interlocked.Increment(ref answered);
                }
                finally
                {
                    limit.Release();
                }
            }).ToList();

            // Kill the exit node a third of the way in, the entry node two thirds in.
            await WaitUntilAsync(() => Volatile.Read(ref answered) >= Requests / 3);
            nodeB.Kill();
            await Task.Delay(500);
            nodeB.Dispose();
            nodeB = RelayProcess.Start(Path.Combine(folder.Path, "b.json"), Path.Combine(folder.Path, "b.log"));

            await WaitUntilAsync(() => Volatile.Read(ref answered) >= 2 * Requests / 3);
            nodeA.Kill();
            nodeA.Dispose();
            nodeA = RelayProcess.Start(Path.Combine(folder.Path, "a.json"), Path.Combine(folder.Path, "a.log"));

            await Task.WhenAll(callers).WaitAsync(TimeSpan.FromMinutes(4));
            for (var i = 0; i < Requests; i++)
            {
                Assert.Equal(1, callee.ExecutionsOf($"t{i}"));
            }

            // The kills happened while requests were in flight: some callers had to repeat.
            Assert.Contains(attempts.Values, count => count > 1);

            // relay status reads a running node's channels.
            var (exitCode, output) = await RelayProcess.RunVerbAsync("status", "--config", Path.Combine(folder.Path, "b.json"));
            Assert.Equal(0, exitCode);
            Assert.Contains("node site-b: running", output, StringComparison.Ordinal);
            Assert.Contains("peer site-a", output, StringComparison.Ordinal);
            Assert.Contains("rejected files: ", output, StringComparison.Ordinal);
        }
        finally
        {
            nodeA.Dispose();
            nodeB.Dispose();
        }
    }

    [Fact]
    public async Task ExitNodeKilledWhileCallsAreWithTheCallee_RepeatsTheIdempotentOne_AndReportsTheOtherUnknown()
    {
        using var folder = new TemporaryFolder();
        await using var callee = await TestCallee.StartAsync();
        var port = LoopbackPorts.Free();
        WriteSetup(folder, callee.BaseUrl, port);
        await using var toB = new FaultInjectingFolderPipe(new FileSystem(), folder.Sub("a-out"), folder.Sub("b-in"), FaultProfile.Lossless);
        await using var toA = new FaultInjectingFolderPipe(new FileSystem(), folder.Sub("b-out"), folder.Sub("a-in"), FaultProfile.Lossless);
        await toB.StartAsync(CancellationToken.None);
        await toA.StartAsync(CancellationToken.None);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        using var nodeA = RelayProcess.Start(Path.Combine(folder.Path, "a.json"), Path.Combine(folder.Path, "a.log"));
        var nodeB = RelayProcess.Start(Path.Combine(folder.Path, "b.json"), Path.Combine(folder.Path, "b.log"));
        try
        {
            await LoopbackPorts.WaitForHealthAsync(client);
            var post = client.PostAsync("/svc/gate/post", new StringContent("once"));
            var get = client.GetAsync("/svc/gate/get");
            Assert.True(await callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(await callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)));

            nodeB.Kill();
            nodeB.Dispose();
            callee.GateOpen.TrySetResult();
            nodeB = RelayProcess.Start(Path.Combine(folder.Path, "b.json"), Path.Combine(folder.Path, "b.log"));

            using var postResponse = await post;
            Assert.Equal(HttpStatusCode.BadGateway, postResponse.StatusCode);
            Assert.Equal("unknown", postResponse.Headers.GetValues("Relay-Outcome").Single());
            Assert.Equal("urn:relay:problem:outcome-unknown", (await Problem.ReadAsync(postResponse)).GetProperty("type").GetString());
            Assert.Single(callee.GateArrivals["post"]);

            using var getResponse = await get;
            Assert.Equal(HttpStatusCode.OK, getResponse.StatusCode);
            Assert.Equal("through get", await getResponse.Content.ReadAsStringAsync());
            var keys = callee.GateArrivals["get"].ToArray();
            Assert.Equal(2, keys.Length);
            Assert.Equal(keys[0], keys[1]);
        }
        finally
        {
            nodeB.Dispose();
        }
    }

    private static async Task CallUntilAnsweredAsync(HttpClient client, int i, ConcurrentDictionary<int, int> attempts)
    {
        var body = Encoding.UTF8.GetBytes($"request {i} " + new string('x', i * 37 % 3000));
        var method = i % 4 == 0 ? HttpMethod.Put : HttpMethod.Post;
        for (var attempt = 1; attempt <= 60; attempt++)
        {
            attempts[i] = attempt;
            using var request = new HttpRequestMessage(method, $"/svc/echo/{i}") { Content = new ByteArrayContent(body) };
            request.Headers.Add("X-Tag", $"t{i}");
            request.Headers.Add("Idempotency-Key", $"\"k{i}\"");
            try
            {
                using var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
                    return;
                }

                // Only the relay's own "no answer" responses may happen here; anything else is a failure.
                Assert.True(
                    response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.ServiceUnavailable,
                    $"request {i}: unexpected {(int)response.StatusCode}");
            }
            catch (HttpRequestException)
            {
                // The entry node is down or was killed mid-request.
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail($"request {i} never got an answer");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "the load did not progress");
    }

    private static void WriteSetup(TemporaryFolder folder, string calleeBaseUrl, int port)
    {
        var keys = folder.Sub("keys");
        foreach (var id in new[] { "site-a", "site-b" })
        {
            using var pair = NodeKeyPair.Generate(id);
            pair.Save(new FileSystem(), keys);
        }

        var quiet = "\"Logging\": { \"LogLevel\": { \"Default\": \"Warning\" } },";
        File.WriteAllText(Path.Combine(folder.Path, "a.json"), $$"""
            { {{quiet}} "Relay": {
              "Node": { "Id": "site-a", "PrivateKeyFile": "keys/site-a.private.json", "StateDirectory": "state/a" },
              "Peers": [ { "Id": "site-b", "PublicKeyFile": "keys/site-b.public.json" } ],
              "Exchange": { "Outbox": "a-out", "Inbox": "a-in", "PollInterval": "00:00:00.200" },
              "Ingress": { "Urls": "http://127.0.0.1:{{port}}", "Deadline": "00:00:10",
                           "Routes": [ { "PathPrefix": "/svc/", "Peer": "site-b", "Target": "{{calleeBaseUrl}}" } ] } } }
            """);
        File.WriteAllText(Path.Combine(folder.Path, "b.json"), $$"""
            { {{quiet}} "Relay": {
              "Node": { "Id": "site-b", "PrivateKeyFile": "keys/site-b.private.json", "StateDirectory": "state/b" },
              "Peers": [ { "Id": "site-a", "PublicKeyFile": "keys/site-a.public.json" } ],
              "Exchange": { "Outbox": "b-out", "Inbox": "b-in", "PollInterval": "00:00:00.200" },
              "Egress": { "AllowedTargets": [ "{{calleeBaseUrl}}" ] } } }
            """);
    }
}
