using Relay.Layer1.OneWay;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.OneWay;

public sealed class ParityTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static readonly OneWaySettings TwoCopiesParityEveryFour = new() { Redundancy = 2, ParityEvery = 4 };

    [Fact]
    public async Task FullGroup_IsFollowedByOneParityFile()
    {
        await using var link = new OneWayLink(TwoCopiesParityEveryFour);
        await link.StartAsync();

        var files = await SendOneFileEachAsync(link, 4);

        Assert.Equal(9, files.Count);
        Assert.Equal(1, link.SenderStatus.ParityFilesWritten);
        Assert.Equal(4, link.SenderStatus.CopiesWritten);
    }

    [Fact]
    public async Task DataFileWhoseEveryCopyIsLost_IsRebuiltFromParity_AndDeliveredInOrder()
    {
        await using var link = new OneWayLink(TwoCopiesParityEveryFour);
        await link.StartAsync();
        var files = await SendOneFileEachAsync(link, 4);

        // Both copies of the second message's file are lost; everything else arrives.
        Drop(link, files[2], files[3]);
        link.Carry();

        await Eventually.TrueAsync(() => link.Received.Count == 4, Limit, "all four arrive");
        Assert.Equal(Expected(4), link.Received);
        Assert.Equal(1, link.ReceiverStatus.ParityRebuilds);
        Assert.Empty(link.ReceiverStatus.Gaps);
        Assert.Empty(link.ReceiverStatus.Rejected);
    }

    [Fact]
    public async Task ParityThatArrivesBeforeAMember_WaitsForIt_ThenRebuildsTheLostOne()
    {
        await using var link = new OneWayLink(TwoCopiesParityEveryFour);
        await link.StartAsync();
        var files = await SendOneFileEachAsync(link, 4);
        Drop(link, files[4], files[5]);

        // The parity overtakes the last member: two missing, nothing to rebuild yet.
        link.Carry([files[0], files[2], files[8]]);
        await Eventually.TrueAsync(() => link.Received.Count == 2, Limit, "the first two arrive");
        Assert.Equal(0, link.ReceiverStatus.ParityRebuilds);

        link.Carry([files[6]]);

        await Eventually.TrueAsync(() => link.Received.Count == 4, Limit, "the lost third is rebuilt once the fourth comes");
        Assert.Equal(Expected(4), link.Received);
        Assert.Equal(1, link.ReceiverStatus.ParityRebuilds);
    }

    [Fact]
    public async Task TwoLostFilesInOneGroup_CannotBeRebuilt_AndShowAsGaps()
    {
        await using var link = new OneWayLink(TwoCopiesParityEveryFour);
        await link.StartAsync();
        var files = await SendOneFileEachAsync(link, 4);
        Drop(link, files[0], files[1], files[4], files[5]);
        link.Carry();

        await Eventually.TrueAsync(() => link.ReceiverStatus.HighestReceived == 4 && link.ReceiverStatus.FilesReceived == 5, Limit, "everything carried is read");
        Assert.Equal([(1L, 1L), (3L, 3L)], link.ReceiverStatus.Gaps.Select(g => (g.From, g.To)));
        Assert.Equal(0, link.ReceiverStatus.ParityRebuilds);
        Assert.Empty(link.Received);
    }

    [Fact]
    public async Task GroupLeftOpenByAQuietChannel_IsClosedSoon_SoItsLossesCanStillBeRebuilt()
    {
        await using var link = new OneWayLink(new OneWaySettings { Redundancy = 2, ParityEvery = 8 });
        await link.StartAsync();

        var sent = await link.Sender.SendAsync("site-b", Expected(2)[0]);
        await link.Sender.SendAsync("site-b", Expected(2)[1]);

        // The window lets the messages go only once their group's parity is out: it is, without a sixth file ever coming.
        await sent.Acknowledged.WaitAsync(Limit);
        await Eventually.TrueAsync(() => link.SenderStatus.ParityFilesWritten == 1, Limit, "the parity file is written");
        var files = link.WaitingFiles();
        Assert.Equal(5, files.Count);
        Drop(link, files[0], files[1]);
        link.Carry();

        await Eventually.TrueAsync(() => link.Received.Count == 2, Limit, "both arrive");
        Assert.Equal(Expected(2), link.Received);
        Assert.Equal(1, link.ReceiverStatus.ParityRebuilds);
    }

    private static byte[][] Expected(int count) => Enumerable.Range(0, count).Select(i => TestPayloads.Create(7, i, 1000 + (i * 333))).ToArray();

    // One message per file, each file's copies written before the next message is queued.
    private static async Task<IReadOnlyList<string>> SendOneFileEachAsync(OneWayLink link, int count)
    {
        var payloads = Expected(count);
        for (var i = 0; i < count; i++)
        {
            await link.Sender.SendAsync("site-b", payloads[i]);
            var written = (i + 1) * 2;
            await Eventually.TrueAsync(() => link.SenderStatus.FilesWritten >= written, Limit, "the copies are written");
        }

        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "the group is settled");
        return link.WaitingFiles();
    }

    private static void Drop(OneWayLink link, params string[] names)
    {
        foreach (var name in names)
        {
            File.Delete(Path.Combine(link.SenderOutbox, name));
        }
    }
}
