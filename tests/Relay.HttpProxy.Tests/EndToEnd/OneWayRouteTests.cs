using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Relay.Host.Configuration;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// A route over a one-way link: site-a only sends to site-b, site-b only receives from it, and nothing
/// carries site-b's outbox back. Requests that need no response are answered 202 once durable and
/// replayed once; those that need one are refused with 501 before anything crosses.
/// </summary>
public sealed class OneWayRouteTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless, Quick, Quick, oneWay: true);
    }

    public async Task DisposeAsync()
    {
        _callee.GateOpen.TrySetResult();
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task PostWithABody_IsAnswered202Sent_ReachesTheCalleeOnceWhole_AndNothingComesBack()
    {
        const long length = 5 * 1024 * 1024;
        using var content = new StreamContent(new PatternStream(length));
        content.Headers.ContentLength = length;

        using var response = await _relay.Client.PostAsync("/raw/upload", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // Answered only once every message of it was durable: the body alone fills this many chunks.
        Assert.True(MessagesSentBySiteA() >= length / _relay.OptionsA.Http.ChunkBytes, $"202 with only {MessagesSentBySiteA()} messages durable");
        Assert.Equal("sent", response.Headers.GetValues("Relay-Outcome").Single());
        var id = response.Headers.GetValues("Relay-Request-Id").Single();
        var sent = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, sent.GetProperty("id").GetString());
        Assert.Equal("sent", sent.GetProperty("status").GetString());
        Assert.Equal("site-b", sent.GetProperty("peer").GetString());
        Assert.Equal(length, sent.GetProperty("bytes").GetInt64());

        Assert.Equal(1, EntryStatus().OneWaySent);
        await WaitUntilAsync(() => ExitStatus().OneWayCalleeStatuses.GetValueOrDefault(200) == 1, "site-b never counted the callee's answer");
        await SendMarkerAsync();

        Assert.Equal([$"{length}:{ExpectedHash(length)}"], _callee.Uploads.ToArray());
        Assert.Equal(0, ExitStatus().OneWayFailed);
        Assert.Equal(0, ExitStatus().OneWayDuplicates);
        AssertNothingWrittenForSiteA();
    }

    [Fact]
    public async Task TheCalleesStatus_IsCountedAtTheExit()
    {
        using var created = await SendAsync(HttpMethod.Put, "/svc/echo/created?status=201", "created");
        using var refused = await SendAsync(HttpMethod.Post, "/svc/echo/refused?status=503", "refused");
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, refused.StatusCode);

        await WaitUntilAsync(() => ExitStatus().OneWayCalleeStatuses.Values.Sum() == 2, "site-b never counted both answers");

        var statuses = ExitStatus().OneWayCalleeStatuses;
        Assert.Equal(1, statuses[201]);
        Assert.Equal(1, statuses[503]);
        Assert.Equal(1, _callee.ExecutionsOf("created"));
        Assert.Equal(1, _callee.ExecutionsOf("refused"));
        Assert.Equal(PeerDirection.ReceiveOnly, ExitStatus().Direction);
        var shown = _relay.NodeB.GetStatus().Peers.Single(p => p.Peer == "site-a").OneWay!;
        Assert.Equal("ReceiveOnly", shown.Direction);
        Assert.Equal(new Dictionary<string, long> { ["201"] = 1, ["503"] = 1 }, shown.CalleeStatuses);
        Assert.Equal(2, _relay.NodeA.GetStatus().Peers.Single(p => p.Peer == "site-b").OneWay!.Sent);
        AssertNothingWrittenForSiteA();
    }

    [Theory]
    [InlineData("GET", null, null, "GET")]
    [InlineData("OPTIONS", null, null, "OPTIONS")]
    [InlineData("POST", "Prefer", "respond-async", "respond-async")]
    [InlineData("POST", "Prefer", "wait=10", "wait")]
    [InlineData("PATCH", "Prefer", "handling=strict, return=representation", "return")]
    [InlineData("POST", "Relay-Callback", "http://127.0.0.1:9/hooks/done", "Relay-Callback")]
    [InlineData("POST", "Accept", "text/event-stream", "text/event-stream")]
    [InlineData("POST", "Upgrade", "websocket", "Upgrade")]
    public async Task ARequestThatNeedsAResponse_Is501_AndNothingOfItIsSent(string method, string? header, string? value, string named)
    {
        var sentBefore = MessagesSentBySiteA();
        using var request = new HttpRequestMessage(new HttpMethod(method), "/svc/echo/refused-" + named);
        request.Headers.Add("X-Tag", "refused");
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        if (method is "POST" or "PATCH")
        {
            request.Content = new ByteArrayContent(new byte[64 * 1024]);
        }

        using var response = await _relay.Client.SendAsync(request);

        var problem = await Problem.AssertAsync(response, 501, "one-way-route");
        Assert.Equal("not-sent", response.Headers.GetValues("Relay-Outcome").Single());
        Assert.Equal("site-b", problem.GetProperty("peer").GetString());
        Assert.Contains(named, problem.GetProperty("refused").GetString(), StringComparison.Ordinal);
        Assert.Contains("carries nothing back", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(sentBefore, MessagesSentBySiteA());
        Assert.Equal(1, EntryStatus().OneWayRefused);

        // The channel is ordered: once a later request has been replayed, a refused one that had gone would have been too.
        await SendMarkerAsync();
        Assert.False(_callee.Arrivals.ContainsKey("refused"), "a refused request reached the callee");
        Assert.Equal(sentBefore + 1, MessagesSentBySiteA());
    }

    [Fact]
    public async Task ExpectContinue_IsNotARequestForTheResponse()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/continued") { Content = new ByteArrayContent(new byte[1000]) };
        request.Headers.Add("X-Tag", "continued");
        request.Headers.ExpectContinue = true;

        using var response = await _relay.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await WaitUntilAsync(() => _callee.ExecutionsOf("continued") == 1, "the request never reached the callee");
    }

    [Fact]
    public async Task ASlowCallee_KeepsItsReplay_PastIdleTimeoutsAndHeartbeats_WhileItsBodyWaitsOnDisk()
    {
        const long length = 8 * 1024 * 1024;
        using var content = new StreamContent(new PatternStream(length));
        content.Headers.ContentLength = length;
        using var response = await _relay.Client.PostAsync("/raw/upload?gate=1", content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await _callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)), "the request never reached the callee");

        // The callee reads nothing yet: what is past site-b's window in memory (and the sockets' buffers) waits on disk.
        var spills = Path.Combine(_relay.OptionsB.Node.StateDirectory, "waiting-bodies");
        await WaitUntilAsync(() => Directory.EnumerateFiles(spills).Any(), "the body never went to disk");

        // The callee takes its time: five stream idle timeouts and ten heartbeat intervals pass while it holds the request.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(1, ExitStatus().CalleeStreams);
        _callee.GateOpen.TrySetResult();

        await WaitUntilAsync(() => ExitStatus().OneWayCalleeStatuses.GetValueOrDefault(200) == 1, "the slow callee's answer was never counted");
        Assert.Equal([$"{length}:{ExpectedHash(length)}"], _callee.Uploads.ToArray());
        Assert.Equal(0, ExitStatus().OneWayFailed);
        await WaitUntilAsync(() => !Directory.EnumerateFiles(spills).Any(), "the body's file outlived its replay");
        AssertNothingWrittenForSiteA();
    }

    // Idle timeouts and heartbeats that would end any exchange they applied to; a stream window far below
    // the large body, which could never go if it waited for credit.
    private static void Quick(RelayOptions options)
    {
        options.Http.StreamWindowBytes = 1024 * 1024;
        options.Http.StreamIdleTimeout = TimeSpan.FromMilliseconds(200);
        options.Http.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string tag)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(tag) };
        request.Headers.Add("X-Tag", tag);
        return await _relay.Client.SendAsync(request);
    }

    // A plain one-way request that is waited for at the callee: whatever was sent before it has been replayed by then.
    private async Task SendMarkerAsync()
    {
        var tag = "marker-" + Guid.NewGuid().ToString("N");
        using var response = await SendAsync(HttpMethod.Post, "/svc/echo/" + tag, tag);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await WaitUntilAsync(() => _callee.ExecutionsOf(tag) == 1, "the marker request never reached the callee");
    }

    private void AssertNothingWrittenForSiteA()
    {
        var outbox = _relay.OptionsB.Exchange.Outbox;
        Assert.Empty(Directory.EnumerateFileSystemEntries(outbox));
        Assert.Equal(0, _relay.NodeB.GetStatus().Peers.Single(p => p.Peer == "site-a").FilesWritten);
    }

    private long MessagesSentBySiteA() => _relay.NodeA.GetStatus().Peers.Single(p => p.Peer == "site-b").Sent;

    private HttpPeerStatus EntryStatus() => _relay.NodeA.Relay.GetStatus().Single(p => p.Peer == "site-b");

    private HttpPeerStatus ExitStatus() => _relay.NodeB.Relay.GetStatus().Single(p => p.Peer == "site-a");

    private static string ExpectedHash(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        for (long position = 0; position < length; position += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, length - position);
            TestCallee.FillPattern(buffer.AsSpan(0, count), position);
            hash.AppendData(buffer, 0, count);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string because)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), because);
    }
}
