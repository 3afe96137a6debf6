using Relay.Layer1.OneWay;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.OneWay;

public sealed class ReceiveOnlyGapTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MessageWhoseEveryCopyIsLost_ShowsAsAGap_AndHoldsBackWhatFollows()
    {
        await using var link = new OneWayLink(new OneWaySettings { Redundancy = 2, ParityEvery = 0 });
        await link.StartAsync();
        var before = DateTimeOffset.UtcNow;

        await SendAsync(link, 0);
        link.Carry();
        await SendAsync(link, 1);
        Assert.Equal(2, link.Drop());
        await SendAsync(link, 2);
        await SendAsync(link, 3);
        link.Carry();

        await Eventually.TrueAsync(() => link.ReceiverStatus.HighestReceived == 4, Limit, "the last message arrives");
        var status = link.ReceiverStatus;
        var gap = Assert.Single(status.Gaps);
        Assert.Equal((2, 2), (gap.From, gap.To));
        Assert.InRange(gap.Since, before, DateTimeOffset.UtcNow);
        Assert.Equal(1, status.MissingFragments);

        // In order or not at all: what follows the gap waits for it.
        Assert.Equal([TestPayloads.Create(6, 0, 200)], link.Received);
        Assert.Equal(2, status.HeldFragments);
    }

    [Fact]
    public async Task LossThatRedundancyCovers_LeavesNoGap()
    {
        await using var link = new OneWayLink(new OneWaySettings { Redundancy = 2, ParityEvery = 0 });
        await link.StartAsync();

        for (var i = 0; i < 4; i++)
        {
            await SendAsync(link, i);

            // One copy of every file lost.
            var waiting = link.WaitingFiles();
            File.Delete(Path.Combine(link.SenderOutbox, waiting[0]));
            link.Carry();
        }

        await Eventually.TrueAsync(() => link.Received.Count == 4, Limit, "all four arrive");
        Assert.Empty(link.ReceiverStatus.Gaps);
        Assert.Equal(Enumerable.Range(0, 4).Select(i => TestPayloads.Create(6, i, 200)), link.Received);
    }

    private static async Task SendAsync(OneWayLink link, int index)
    {
        await link.Sender.SendAsync("site-b", TestPayloads.Create(6, index, 200));
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "every copy is written");
    }
}
