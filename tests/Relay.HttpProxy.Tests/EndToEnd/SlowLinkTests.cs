using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>On a link whose round trips are longer than the HTTP layer's timers, those timers follow the link.</summary>
public sealed class SlowLinkTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();

        // Credit comes back after a round trip of about 1.4 s, far past the 300 ms idle timeout.
        var slow = new FaultProfile { Latency = TimeSpan.FromMilliseconds(700) };
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, slow, Slow, Slow);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task BodyWaitingARoundTripForCredit_IsNotReset_WhenTheRoundTripOutlastsTheIdleTimeout()
    {
        const int length = 3 * 1024 * 1024;

        using var response = await _relay.Client.GetAsync("/raw/download/" + length);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(length, body.Length);
        for (var i = 0; i < body.Length; i += 4099)
        {
            Assert.Equal(TestCallee.PatternByte(i), body[i]);
        }
    }

    private static void Slow(Relay.Host.Configuration.RelayOptions options)
    {
        options.Http.StreamIdleTimeout = TimeSpan.FromMilliseconds(300);
        options.Http.StreamWindowBytes = 2 * options.Http.ChunkBytes;
        options.Exchange.ExpectedDelay = TimeSpan.FromSeconds(1.5);
    }
}
