using System.Net;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

public sealed class AsyncResponseLifetimeTests
{
    [Fact]
    public async Task KeptResponse_IsGoneOnceItsLifetimeHasPassed()
    {
        using var folder = new TemporaryFolder();
        await using var callee = await TestCallee.StartAsync();
        var lifetime = TimeSpan.FromSeconds(1);
        await using var relay = await RelayPair.StartAsync(folder, callee.BaseUrl, FaultProfile.Lossless, a => a.Ingress!.AsyncResponseLifetime = lifetime);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/svc/echo/brief");
        request.Headers.Add("Prefer", "respond-async");
        using var accepted = await relay.Client.SendAsync(request);
        var location = accepted.Headers.Location!.ToString();

        var status = HttpStatusCode.Accepted;
        for (var attempt = 0; attempt < 300 && status == HttpStatusCode.Accepted; attempt++)
        {
            using var poll = await relay.Client.GetAsync(location);
            status = poll.StatusCode;
            if (status == HttpStatusCode.Accepted)
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);

        // The response arrived; a little over its lifetime later it is no longer kept.
        await Task.Delay(lifetime + TimeSpan.FromMilliseconds(200));
        using var expired = await relay.Client.GetAsync(location);
        await Problem.AssertAsync(expired, 404, "unknown-request");
    }
}
