using System.IO.Abstractions;
using System.Text;
using Relay.Layer1.Faults;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Channels;

/// <summary>A node starts from the round trip it measured before, or from the one configured, not from a second.</summary>
public sealed class RoundTripMemoryTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task MeasuredRoundTrip_IsKeptAcrossARestart()
    {
        var slow = new FaultProfile { Latency = TimeSpan.FromMilliseconds(300) };
        var optionsA = WithLongTimeouts(TestNodes.Options(_folder.Sub("state-a"), _folder.Sub("a-out"), _folder.Sub("a-in")));
        var optionsB = WithLongTimeouts(TestNodes.Options(_folder.Sub("state-b"), _folder.Sub("b-out"), _folder.Sub("b-in")));
        await using var toB = new FaultInjectingFolderPipe(new FileSystem(), optionsA.Outbox, optionsB.Inbox, slow);
        await using var toA = new FaultInjectingFolderPipe(new FileSystem(), optionsB.Outbox, optionsA.Inbox, slow);
        await toB.StartAsync(CancellationToken.None);
        await toA.StartAsync(CancellationToken.None);
        await using var b = TestNodes.Open(optionsB, TestKeys.SiteB, TestKeys.SiteA);

        TimeSpan measured;
        await using (var a = TestNodes.Open(optionsA, TestKeys.SiteA, TestKeys.SiteB))
        {
            var sent = await a.SendAsync("site-b", Encoding.UTF8.GetBytes("over a slow link"));
            await b.MarkHandledAsync(await b.ReceiveWithinAsync("site-a", Wait));
            await sent.Acknowledged.WaitAsync(Wait);
            measured = a.GetStatus().Peers.Single().SmoothedRoundTrip;
            Assert.True(measured >= TimeSpan.FromMilliseconds(600), $"two 300 ms legs, measured {measured}");
        }

        await using var reopened = TestNodes.Open(optionsA, TestKeys.SiteA, TestKeys.SiteB);
        Assert.Equal(measured.TotalMilliseconds, reopened.GetStatus().Peers.Single().SmoothedRoundTrip.TotalMilliseconds, precision: 0);
    }

    [Fact]
    public async Task ExpectedDelay_SeedsTheFirstTimeout()
    {
        var options = WithLongTimeouts(TestNodes.Options(_folder.Sub("state"), _folder.Sub("out"), _folder.Sub("in")));
        options.ExpectedDelay = TimeSpan.FromSeconds(40);

        await using var node = TestNodes.Open(options, TestKeys.SiteA, TestKeys.SiteB);

        var status = node.GetStatus().Peers.Single();
        Assert.Equal(TimeSpan.FromSeconds(40), status.SmoothedRoundTrip);
        Assert.Equal(TimeSpan.FromSeconds(120), status.RetransmitTimeout);
    }

    private static Layer1Options WithLongTimeouts(Layer1Options options)
    {
        options.MaxRetransmitTimeout = TimeSpan.FromHours(1);
        return options;
    }
}
