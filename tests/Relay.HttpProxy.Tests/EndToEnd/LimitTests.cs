using System.Net;
using Relay.Host.Configuration;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>Callers cannot open unbounded streams to a peer, nor unbounded connections to a callee.</summary>
public sealed class LimitTests : LosslessRelayTest
{
    private protected override void ConfigureA(RelayOptions a) => a.Ingress!.MaxConcurrentStreams = 3;

    private protected override void ConfigureB(RelayOptions b) => b.Egress!.MaxConnectionsPerTarget = 2;

    [Fact]
    public async Task StreamsOverTheLimit_Get503WithRetryAfter_ConnectionsToTheCalleeStayWithinTheirs()
    {
        var held = Enumerable.Range(0, 3).Select(i => Relay.Client.GetAsync($"/svc/gate/g{i}")).ToList();
        // Two reach the callee, on the two connections allowed; the third waits for a connection.
        Assert.True(await Callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await Callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)));

        using var refused = await Relay.Client.GetAsync("/svc/gate/over");

        await Problem.AssertAsync(refused, 503, "too-many-streams");
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.False(await Callee.GateArrived.WaitAsync(TimeSpan.FromMilliseconds(500)), "a third connection reached the callee");
        Callee.GateOpen.TrySetResult();
        foreach (var response in await Task.WhenAll(held))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        Assert.InRange(Callee.GateConnections.Count, 1, 2);
        using var afterwards = await Relay.Client.GetAsync("/svc/echo/after");
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }
}
