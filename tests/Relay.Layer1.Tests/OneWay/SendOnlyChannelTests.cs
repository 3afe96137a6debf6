using Relay.Layer1.OneWay;
using Relay.Layer1.State;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.OneWay;

public sealed class SendOnlyChannelTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static readonly OneWaySettings TwoCopiesNoParity = new() { Redundancy = 2, ParityEvery = 0 };

    [Fact]
    public async Task EachFile_IsWrittenRedundancyTimes_UnderNamesOfItsOwn()
    {
        await using var link = new OneWayLink(new OneWaySettings { Redundancy = 3, ParityEvery = 0 });
        await link.StartAsync();

        await link.Sender.SendAsync("site-b", TestPayloads.Create(1, 0, 100));

        await Eventually.TrueAsync(() => link.WaitingFiles().Count == 3, Limit, "three copies are written");
        Assert.Equal(3, link.WaitingFiles().Distinct().Count());
        Assert.Equal(3, link.SenderStatus.FilesWritten);
        Assert.Equal(2, link.SenderStatus.CopiesWritten);
    }

    [Fact]
    public async Task Copies_AreDeliveredOnce_AndCountedAsDuplicatesNotRejects()
    {
        await using var link = new OneWayLink(TwoCopiesNoParity);
        await link.StartAsync();

        for (var i = 0; i < 5; i++)
        {
            await link.Sender.SendAsync("site-b", TestPayloads.Create(1, i, 1000));
        }

        await Eventually.TrueAsync(() => link.SenderStatus.FilesWritten >= 2 && link.SenderStatus.InFlight == 0, Limit, "every file is written");
        link.Carry();
        await Eventually.TrueAsync(() => link.Received.Count == 5, Limit, "five messages arrive");
        await Eventually.TrueAsync(() => link.ReceiverStatus.FilesReceived == link.SenderStatus.FilesWritten, Limit, "every copy is read");

        Assert.Equal(Enumerable.Range(0, 5).Select(i => TestPayloads.Create(1, i, 1000)), link.Received);
        Assert.Empty(link.ReceiverStatus.Rejected);
        Assert.Equal(link.SenderStatus.FilesWritten / 2, link.ReceiverStatus.DuplicateFiles);
    }

    [Fact]
    public async Task SendOnlyChannel_FreesItsWindowWithoutAcks_AndNeverResendsByItself()
    {
        await using var link = new OneWayLink(TwoCopiesNoParity);
        await link.StartAsync();
        var window = link.SenderOptions.MaxUnacknowledgedBytes;

        // Three windows' worth with nothing ever coming back: sends would wait forever if acks freed the window.
        var sent = new List<SentMessage>();
        for (var i = 0; i < 12; i++)
        {
            sent.Add(await link.Sender.SendAsync("site-b", TestPayloads.Create(2, i, (int)(window / 4))).WaitAsync(Limit));
            link.Drop();
        }

        await Task.WhenAll(sent.Select(s => s.Acknowledged)).WaitAsync(Limit);
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "the window empties");
        var written = link.SenderStatus.FilesWritten;

        // Well past the resend timeout (at most 2 s in tests): nothing is written again.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(written, link.SenderStatus.FilesWritten);
        Assert.Equal(0, link.SenderStatus.Resent);
    }

    [Fact]
    public async Task ReceiveOnlyNode_WritesNothingToItsPeer()
    {
        await using var link = new OneWayLink(TwoCopiesNoParity);
        await link.StartAsync();

        for (var i = 0; i < 3; i++)
        {
            await link.Sender.SendAsync("site-b", TestPayloads.Create(3, i, 500));
            await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "the message is written");
            link.Carry();
        }

        await Eventually.TrueAsync(() => link.Received.Count == 3 && link.ReceiverStatus.Handled == 3, Limit, "every message is handled");

        // A two-way receiver would have acked by now (AckDelay is 10 ms); this one must not, ever.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Empty(Directory.EnumerateFileSystemEntries(link.ReceiverOutbox));
        Assert.Equal(0, link.ReceiverStatus.FilesWritten);
    }

    [Fact]
    public async Task SendingToAReceiveOnlyPeer_FailsNamingThePeerAndTheDirection()
    {
        await using var link = new OneWayLink(TwoCopiesNoParity);

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => link.Receiver.SendAsync("site-a", new byte[] { 1 }));
        var queued = await Assert.ThrowsAsync<InvalidOperationException>(async () => await link.Receiver.QueueAsync("site-a", new byte[] { 1 }));

        Assert.Contains("'site-a'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("ReceiveOnly", failure.Message, StringComparison.Ordinal);
        Assert.Equal(failure.Message, queued.Message);
    }

    [Fact]
    public async Task FileFromASendOnlyPeer_IsDroppedAndCountedAsWrongDirection()
    {
        await using var link = new OneWayLink(TwoCopiesNoParity);
        await link.StartAsync();

        // A site-b configured two-way by mistake writes to site-a, which only sends to it.
        using var folder = new TemporaryFolder();
        var misconfigured = Layer1Node.Open(TestNodes.Options(folder.Sub("state"), link.SenderInbox, folder.Sub("in")), TestKeys.SiteB, [TestKeys.SiteA.PublicKeys]);
        await using (misconfigured)
        {
            await misconfigured.SendAsync("site-a", new byte[] { 1, 2, 3 });
            await Eventually.TrueAsync(() => link.SenderStatus.Rejected.GetValueOrDefault(FileRejectReason.WrongDirection) > 0, Limit, "the file is rejected");
        }

        Assert.Equal(0, link.SenderStatus.FilesReceived);
        await Eventually.TrueAsync(() => !Directory.EnumerateFiles(link.SenderInbox).Any(), Limit, "the rejected files are removed");
    }

    [Fact]
    public async Task SendOnlySender_Reopened_WritesOnlyWhatItHadNotSent()
    {
        await using var link = new OneWayLink(TwoCopiesNoParity);
        await link.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            await link.Sender.SendAsync("site-b", TestPayloads.Create(4, i, 300));
        }

        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "every message is written");
        var waiting = link.WaitingFiles();

        await link.RestartSenderAsync();
        await link.Sender.SendAsync("site-b", TestPayloads.Create(4, 4, 300));
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "the new message is written");

        // Files from before the restart stay in the outbox (they may still be on their way); only the new message's two copies are added.
        Assert.Equal(2, link.SenderStatus.FilesWritten);
        Assert.Equal(waiting.Count + 2, link.WaitingFiles().Count);
        Assert.Subset(link.WaitingFiles().ToHashSet(), waiting.ToHashSet());
        link.Carry();
        await Eventually.TrueAsync(() => link.Received.Count == 5, Limit, "all five arrive");
        Assert.Equal(Enumerable.Range(0, 5).Select(i => TestPayloads.Create(4, i, 300)), link.Received);
    }

    [Fact]
    public async Task SentMessages_AreKeptForKeepSentFor_ThenPurged()
    {
        await using var link = new OneWayLink(TwoCopiesNoParity with { KeepSentFor = TimeSpan.FromSeconds(2) });
        await link.StartAsync();
        await link.Sender.SendAsync("site-b", TestPayloads.Create(5, 0, 100));
        await link.Sender.SendAsync("site-b", TestPayloads.Create(5, 1, 200 * 1024));
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "both are written");

        Assert.Equal([new(1, 2)], Stored(link));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(link.SenderOptions.StateDirectory, "spool", "site-b")));

        await Eventually.TrueAsync(() => Stored(link).Count == 0, Limit, "the rows are purged");
        await Eventually.TrueAsync(() => !Directory.EnumerateFiles(Path.Combine(link.SenderOptions.StateDirectory, "spool", "site-b")).Any(), Limit, "the spool file goes with them");
        await Eventually.TrueAsync(() => link.WaitingFiles().Count == 0, Limit, "the files in the outbox go too");
    }

    private static List<global::Relay.Layer1.Channels.SequenceRange> Stored(OneWayLink link) =>
        StateStore.ReadStoredRanges(link.SenderOptions.StateDirectory, "site-b").ToList();
}
