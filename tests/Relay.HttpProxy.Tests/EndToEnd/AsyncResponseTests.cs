using System.Net;
using System.Text;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary><c>Prefer: respond-async</c> and <c>Relay-Callback</c> through a faulty folder.</summary>
[Collection(nameof(HeavyTests))]
public sealed class AsyncResponseTests : IAsyncLifetime, IDisposable
{
    private static readonly FaultProfile Faulty = HostileFolder.Profile(61);

    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, Faulty, a =>
        {
            a.Ingress!.AllowedCallbacks.Add(_callee.BaseUrl + "callback/");
            a.Ingress.CallbackFirstRetryDelay = TimeSpan.FromMilliseconds(100);
            a.Ingress.CallbackMaxRetryDelay = TimeSpan.FromMilliseconds(400);
        });
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task RespondAsync_Answers202AtOnce_ThenThePollReturnsTheFarResponse_EvenAfterTheEntryNodeRestarts()
    {
        var body = Encoding.UTF8.GetBytes(new string('a', 300_000));
        using var accepted = await SendAsync("/svc/echo/poll?status=201", body, "poll", request => request.Headers.Add("Prefer", "respond-async"));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal("respond-async", accepted.Headers.GetValues("Preference-Applied").Single());
        var location = accepted.Headers.Location!.ToString();
        Assert.StartsWith("/relay/requests/", location, StringComparison.Ordinal);

        await AssertKeptResponseAsync(location, body);
        Assert.Equal(1, _callee.ExecutionsOf("poll"));
        Assert.False(_callee.SeenHeaders["poll"].ContainsKey("Prefer"));

        await _relay.RestartAAsync();
        await AssertKeptResponseAsync(location, body);
    }

    [Fact]
    public async Task PollForAnUnknownRequest_Is404Problem()
    {
        using var response = await _relay.Client.GetAsync($"/relay/requests/{Guid.NewGuid():N}");
        await Problem.AssertAsync(response, 404, "unknown-request");
    }

    [Fact]
    public async Task Callback_IsPostedWithTheFarStatusHeadersAndBody_AfterTheReceiverFailsThreeTimes()
    {
        var body = Encoding.UTF8.GetBytes("call me back");
        var url = _callee.BaseUrl + "callback/c1?fail=3";
        using var accepted = await SendAsync("/svc/echo/cb?status=201", body, "cb", request => request.Headers.Add("Relay-Callback", url));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = accepted.Headers.GetValues("Relay-Request-Id").Single();

        var (headers, delivered) = await _callee.CallbackTo("c1").WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(body, delivered);
        Assert.Equal("201", headers["Relay-Status"].ToString());
        Assert.Equal(id, headers["Relay-Request-Id"].ToString());
        Assert.Equal("value cb", headers["X-Echo-Custom"].ToString());
        Assert.Equal(4, _callee.CallbackAttempts["c1"]);
        Assert.False(_callee.SeenHeaders["cb"].ContainsKey("Relay-Callback"));
    }

    [Fact]
    public async Task PendingCallback_SurvivesARestartOfTheEntryNode()
    {
        _callee.CallbacksRefused["c2"] = true;
        using var accepted = await SendAsync("/svc/echo/cb2", "after restart"u8.ToArray(), "cb2", request => request.Headers.Add("Relay-Callback", _callee.BaseUrl + "callback/c2"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await WaitUntilAsync(() => _callee.CallbackAttempts.GetValueOrDefault("c2") >= 2, "the callback was never tried");
        Assert.Equal(1, _relay.NodeA.GetStatus().CallbacksBeingDelivered);

        await _relay.RestartAAsync();
        var attemptsBeforeRestart = _callee.CallbackAttempts["c2"];
        _callee.CallbacksRefused.TryRemove("c2", out _);

        var (_, delivered) = await _callee.CallbackTo("c2").WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("after restart"u8.ToArray(), delivered);
        Assert.True(_callee.CallbackAttempts["c2"] > attemptsBeforeRestart);
        Assert.Equal(1, _callee.ExecutionsOf("cb2"));
    }

    [Fact]
    public async Task CallbackToAUrlNotAllowed_Is403Problem_AndNothingIsSent()
    {
        using var response = await SendAsync("/svc/echo/denied", "x"u8.ToArray(), "denied", request => request.Headers.Add("Relay-Callback", "http://127.0.0.1:9/elsewhere"));
        await Problem.AssertAsync(response, 403, "callback-not-allowed");
        Assert.Equal(0, _callee.ExecutionsOf("denied"));
    }

    private async Task AssertKeptResponseAsync(string location, byte[] body)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            using var poll = await _relay.Client.GetAsync(location);
            if (poll.StatusCode != HttpStatusCode.Accepted)
            {
                Assert.Equal(HttpStatusCode.Created, poll.StatusCode);
                Assert.Equal(body, await poll.Content.ReadAsByteArrayAsync());
                Assert.Equal("value poll", poll.Headers.GetValues("X-Echo-Custom").Single());
                return;
            }

            Assert.NotNull(poll.Headers.RetryAfter);
            await Task.Delay(100);
        }

        Assert.Fail("the response never came");
    }

    private async Task<HttpResponseMessage> SendAsync(string path, byte[] body, string tag, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Headers.Add("X-Tag", tag);
        request.Headers.Add("X-Echo-Custom", "value " + tag);
        configure(request);
        return await _relay.Client.SendAsync(request);
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
