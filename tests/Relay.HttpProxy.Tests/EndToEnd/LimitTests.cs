using System.Net;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>Callers cannot open unbounded streams to a peer, nor unbounded connections to a callee.</summary>
public sealed class LimitTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless,
            a => a.Ingress!.MaxConcurrentStreams = 3,
            b => b.Egress!.MaxConnectionsPerTarget = 2);
    }

    public async Task DisposeAsync()
    {
        _callee.GateOpen.TrySetResult();
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task StreamsOverTheLimit_Get503WithRetryAfter_ConnectionsToTheCalleeStayWithinTheirs()
    {
        var held = Enumerable.Range(0, 3).Select(i => _relay.Client.GetAsync($"/svc/gate/g{i}")).ToList();
        // Two reach the callee, on the two connections allowed; the third waits for a connection.
        Assert.True(await _callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await _callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)));

        using var refused = await _relay.Client.GetAsync("/svc/gate/over");

        await Problem.AssertAsync(refused, 503, "too-many-streams");
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.False(await _callee.GateArrived.WaitAsync(TimeSpan.FromMilliseconds(500)), "a third connection reached the callee");
        _callee.GateOpen.TrySetResult();
        foreach (var response in await Task.WhenAll(held))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        Assert.InRange(_callee.GateConnections.Count, 1, 2);
        using var afterwards = await _relay.Client.GetAsync("/svc/echo/after");
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }
}
