using System.IO.Abstractions;
using System.Net;
using System.Text.Json;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// What a node can see of a broken link (a silent peer, a peer key that is not the peer's, crossed
/// folders, its own files coming back) shows in its status, as a degraded health, and in the detail of 504s.
/// </summary>
public sealed class LinkHealthTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly LogCapture _logs = new();
    private TestCallee _callee = null!;
    private RelayPair? _relay;

    public async Task InitializeAsync() => _callee = await TestCallee.StartAsync();

    public async Task DisposeAsync()
    {
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }

        await _callee.DisposeAsync();
    }

    public void Dispose()
    {
        _logs.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task HealthyLink_IsUp()
    {
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless);
        using var echo = await _relay.Client.GetAsync("/svc/echo/x");
        echo.EnsureSuccessStatusCode();

        var health = await HealthAsync();

        Assert.Equal("up", health.GetProperty("status").GetString());
        Assert.Empty(health.GetProperty("reasons").EnumerateArray());
    }

    [Fact]
    public async Task SilentPeer_WhileARequestWaits_IsDegraded_AndNamedInThe504()
    {
        var logs = _logs;
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless, a =>
        {
            a.Http.PeerSilenceWarning = TimeSpan.FromSeconds(1);
            a.Ingress!.Routes.Add(new IngressRouteOptions { PathPrefix = "/quick/", Peer = "site-b", Target = _callee.BaseUrl, Deadline = TimeSpan.FromSeconds(3) });
        }, logsA: logs);
        // Nothing comes back from site-b any more.
        await _relay.Pipes[1].DisposeAsync();

        using var response = await _relay.Client.GetAsync("/quick/echo/late");

        var problem = await Problem.ReadAsync(response);
        Assert.Equal(504, (int)response.StatusCode);
        Assert.Contains("No file from site-b for", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("No file from site-b", string.Join(' ', _relay.NodeA.GetStatus().Warnings), StringComparison.Ordinal);
        var logged = await logs.WaitForAsync(3062, line => line.Contains("No file from site-b", StringComparison.Ordinal));
        Assert.StartsWith("Link degraded: No file from site-b for ", logged, StringComparison.Ordinal);
        // Once per onset: the seconds it has lasted do not make it a new warning.
        Assert.Single(logs.Lines, l => l.EventId == 3062 && l.Message.Contains("No file from site-b", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OutdatedPeerKey_ShowsTheKeyIdsSeenAndExpected()
    {
        var stale = _folder.Sub("stale-keys");
        using (var old = NodeKeyPair.Generate("site-b"))
        {
            old.Save(new FileSystem(), stale);
        }

        var expected = PeerPublicKeys.Load(new FileSystem(), Path.Combine(stale, "site-b.public.json")).SigningKeyId;
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless, a =>
        {
            a.Peers[0].PublicKeyFile = Path.Combine(stale, "site-b.public.json");
            a.Ingress!.Routes.Add(new IngressRouteOptions { PathPrefix = "/quick/", Peer = "site-b", Target = _callee.BaseUrl, Deadline = TimeSpan.FromSeconds(3) });
        });
        var actual = PeerPublicKeys.Load(new FileSystem(), _relay.OptionsB.Node.PrivateKeyFile.Replace(".private.", ".public.", StringComparison.Ordinal)).SigningKeyId;

        using var response = await _relay.Client.GetAsync("/quick/echo/k");

        var detail = (await Problem.ReadAsync(response)).GetProperty("detail").GetString();
        var seen = $"signed with key id {actual}, the configured key of 'site-b' has key id {expected}";
        Assert.Contains(seen, detail, StringComparison.Ordinal);
        var peer = _relay.NodeA.GetStatus().Peers.Single();
        Assert.Contains(seen, peer.LastRejectDetails["BadSignature"], StringComparison.Ordinal);
        Assert.Equal("degraded", (await HealthAsync()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task CrossedFolders_AndOwnFilesComingBack_AreDegraded()
    {
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless);
        var inbox = _relay.OptionsA.Exchange.Inbox;
        await File.WriteAllBytesAsync(Path.Combine(inbox, SegmentFileName.Create("site-b", "site-c", 1)), [1, 2, 3]);
        await File.WriteAllBytesAsync(Path.Combine(inbox, SegmentFileName.Create("site-a", "site-b", 1)), [1, 2, 3]);

        // The inbox is listed every PollInterval (200 ms here); bounded wait for the listing to see them.
        JsonElement health = default;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            health = await HealthAsync();
            if (health.GetProperty("reasons").GetArrayLength() >= 2)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Equal("degraded", health.GetProperty("status").GetString());
        var reasons = string.Join(' ', health.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("1 file(s) this node wrote", reasons, StringComparison.Ordinal);
        Assert.Contains("1 file(s) addressed to other nodes", reasons, StringComparison.Ordinal);
        var status = _relay.NodeA.GetStatus();
        Assert.Equal(1, status.OwnFilesInInbox);
        Assert.Equal(1, status.ForeignFilesInInbox);
    }

    private async Task<JsonElement> HealthAsync()
    {
        using var response = await _relay!.Client.GetAsync("/relay/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
