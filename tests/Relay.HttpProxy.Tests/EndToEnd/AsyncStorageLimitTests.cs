using System.Net;
using Relay.Host.Configuration;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// Responses kept for requests answered 202 are bounded: one response by <c>Ingress:MaxAsyncResponseBytes</c>
/// (its poll or callback gets a 502 problem) and all of them by <c>Ingress:MaxAsyncStorageBytes</c>
/// (new requests get 503 with <c>Retry-After</c>).
/// </summary>
public sealed class AsyncStorageLimitTests : LosslessRelayTest
{
    private const long MaxResponse = 1024 * 1024;
    private const long MaxStorage = 2 * 1024 * 1024;

    private protected override void ConfigureA(RelayOptions a)
    {
        a.Ingress!.MaxAsyncResponseBytes = MaxResponse;
        a.Ingress.MaxAsyncStorageBytes = MaxStorage;
        a.Ingress.AllowedCallbacks.Add(Callee.BaseUrl + "callback/");
    }

    private string AsyncFolder => Path.Combine(Relay.OptionsA.Node.StateDirectory, "async");

    [Fact]
    public async Task ResponseDeclaredLargerThanTheCap_PollGets502_AndNothingIsKept()
    {
        var location = await AcceptedAsync("/raw/download/2000000", "respond-async");

        using var poll = await PollUntilAnsweredAsync(location);

        var problem = await Problem.AssertAsync(poll, 502, "async-response-too-large");
        Assert.Contains("Relay:Ingress:MaxAsyncResponseBytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(AsyncFolder));
        Assert.Equal(0, Relay.NodeA.GetStatus().AsyncStorageBytes);
    }

    [Fact]
    public async Task StreamedResponseGrowingPastTheCap_IsDropped_AndTheFarCallStops()
    {
        // Far more than a stream's window: it cannot be sent whole unless this node keeps granting credit.
        var location = await AcceptedAsync("/raw/download/100000000?chunked=1", "respond-async");

        using var poll = await PollUntilAnsweredAsync(location);

        await Problem.AssertAsync(poll, 502, "async-response-too-large");
        Assert.Empty(Directory.EnumerateFiles(AsyncFolder));
        Assert.Equal(0, Relay.NodeA.GetStatus().AsyncStorageBytes);

        // The exit node was told to stop: it hangs up on the callee without taking the rest.
        await Callee.DownloadAborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task CallbackForAResponseLargerThanTheCap_Gets502Problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/raw/download/2000000");
        request.Headers.Add("Relay-Callback", Callee.BaseUrl + "callback/big");
        using var accepted = await Relay.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        var (headers, body) = await Callee.CallbackTo("big").WaitAsync(TimeSpan.FromMinutes(1));

        Problem.AssertCallback(headers, body, 502, "async-response-too-large");
    }

    [Fact]
    public async Task StorageWithoutRoomForTheLargestResponse_RefusesNewRequestsWith503()
    {
        foreach (var tag in new[] { "first", "second" })
        {
            var location = await AcceptedAsync("/raw/download/600000", "respond-async");
            using var kept = await PollUntilAnsweredAsync(location);
            Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
            Assert.Equal(600000, (await kept.Content.ReadAsByteArrayAsync()).Length);
        }

        Assert.InRange(Relay.NodeA.GetStatus().AsyncStorageBytes, 1_200_000, MaxStorage - MaxResponse + 1_300_000);
        using var refused = await SendAsync("/raw/echo/refused", "respond-async");

        await Problem.AssertAsync(refused, 503, "async-storage-full");
        Assert.Equal(TimeSpan.FromSeconds(60), refused.Headers.RetryAfter!.Delta);
        Assert.Equal(0, Callee.ExecutionsOf("refused"));

        // Held requests do not keep their responses, so they still go through.
        using var held = await Relay.Client.GetAsync("/raw/echo/held");
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
    }

    [Fact]
    public async Task ResponsesArrivingTogetherPastTheBudget_SomeAreDropped_TheRestKeptWhole()
    {
        var locations = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/raw/gate/g{i}?bytes=900000");
            request.Headers.Add("Prefer", "respond-async");
            var sending = Relay.Client.SendAsync(request);
            Assert.True(await Callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)), "the request never reached the callee");
            using var accepted = await sending;
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            locations.Add(accepted.Headers.Location!.ToString());
        }

        Callee.GateOpen.TrySetResult();
        var outcomes = new List<HttpStatusCode>();
        foreach (var location in locations)
        {
            using var poll = await PollUntilAnsweredAsync(location);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                var body = await poll.Content.ReadAsByteArrayAsync();
                var expected = new byte[900000];
                TestCallee.FillPattern(expected, 0);
                Assert.Equal(expected, body);
            }
            else
            {
                await Problem.AssertAsync(poll, 502, "async-storage-full");
            }

            outcomes.Add(poll.StatusCode);
        }

        // Three do not fit in the budget, one always does.
        Assert.Contains(HttpStatusCode.BadGateway, outcomes);
        Assert.Contains(HttpStatusCode.OK, outcomes);
        var onDisk = Directory.EnumerateFiles(AsyncFolder).Sum(path => new FileInfo(path).Length);
        Assert.Equal(onDisk, Relay.NodeA.GetStatus().AsyncStorageBytes);
        Assert.InRange(onDisk, 1, MaxStorage);
    }

    private async Task<string> AcceptedAsync(string path, string preference)
    {
        using var accepted = await SendAsync(path, preference);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return accepted.Headers.Location!.ToString();
    }

    private async Task<HttpResponseMessage> SendAsync(string path, string preference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Prefer", preference);
        request.Headers.Add("X-Tag", path.Split('/').Last());
        return await Relay.Client.SendAsync(request);
    }

    private Task<HttpResponseMessage> PollUntilAnsweredAsync(string location) => Relay.Client.PollUntilAnsweredAsync(location);
}
