using Relay.Layer1.Faults;
using Relay.Layer1.OneWay;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.OneWay;

[Collection(nameof(FaultRunTests))]
public sealed class ResendTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task GapReportCarriedBack_BringsTheLostMessages_OnceAndInOrder()
    {
        await using var link = new OneWayLink(new OneWaySettings { Redundancy = 2, ParityEvery = 0 });
        await link.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await link.Sender.SendAsync("site-b", Payload(i));
            await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "every copy is written");
            if (i is 1 or 2)
            {
                link.Drop();
            }
            else
            {
                link.Carry();
            }
        }

        await Eventually.TrueAsync(() => link.ReceiverStatus.HighestReceived == 5, Limit, "the last message arrives");
        var report = ReportOf(link);
        Assert.Equal([new MissingRange(2, 3)], report.Gaps);

        var written = link.SenderStatus.FilesWritten;
        var queued = await link.Sender.ResendAsync("site-b", GapReport.Verify(report.Sign(TestKeys.SiteB), TestKeys.SiteB.PublicKeys, "site-a").Requested());
        Assert.Equal([new MissingRange(2, 3)], queued);
        await Eventually.TrueAsync(() => link.SenderStatus.FilesWritten == written + 2, Limit, "the two are written again, in one file and its copy");
        Assert.Equal(2, link.SenderStatus.Resent);
        link.Carry();

        await Eventually.TrueAsync(() => link.Received.Count == 5, Limit, "all five arrive");
        Assert.Equal(Enumerable.Range(0, 5).Select(Payload), link.Received);
        Assert.Empty(link.ReceiverStatus.Gaps);
    }

    [Fact]
    public async Task LostTail_LeavesNoGap_ButTheReportAsksForEverythingAfterWhatWasReceived()
    {
        await using var link = new OneWayLink(new OneWaySettings { Redundancy = 2, ParityEvery = 0 });
        await link.StartAsync();
        await link.Sender.SendAsync("site-b", Payload(0));
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "written");
        link.Carry();
        await link.Sender.SendAsync("site-b", Payload(1));
        await link.Sender.SendAsync("site-b", Payload(2));
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "written");
        link.Drop();
        await Eventually.TrueAsync(() => link.Received.Count == 1, Limit, "the first arrives");
        Assert.Empty(link.ReceiverStatus.Gaps);

        var written = link.SenderStatus.FilesWritten;
        var queued = await link.Sender.ResendAsync("site-b", ReportOf(link).Requested());
        await Eventually.TrueAsync(() => link.SenderStatus.FilesWritten == written + 2, Limit, "the tail is written again");
        link.Carry();

        Assert.Equal([new MissingRange(2, 3)], queued);
        await Eventually.TrueAsync(() => link.Received.Count == 3, Limit, "all three arrive");
        Assert.Equal(Enumerable.Range(0, 3).Select(Payload), link.Received);
    }

    [Fact]
    public async Task RequestPlacedInTheStateDirectory_IsTakenByTheRunningNode_AndThenDeleted()
    {
        await using var link = new OneWayLink(new OneWaySettings { Redundancy = 1, ParityEvery = 0 });
        await link.StartAsync();
        await link.Sender.SendAsync("site-b", Payload(0));
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "written");
        link.Drop();
        var file = ReportOf(link).Sign(TestKeys.SiteB);

        var request = ResendRequests.Submit(new System.IO.Abstractions.FileSystem(), link.SenderOptions.StateDirectory, GapReport.Verify(file, TestKeys.SiteB.PublicKeys, "site-a"), file);

        await Eventually.TrueAsync(() => link.SenderStatus.FilesWritten == 2, Limit, "the running node takes the request");
        await Eventually.TrueAsync(() => !File.Exists(request), Limit, "and deletes it");
        Assert.Equal(1, link.SenderStatus.Resent);
        link.Carry();
        await Eventually.TrueAsync(() => link.Received.Count == 1, Limit, "it arrives");
    }

    [Fact]
    public async Task TamperedRequestInTheStateDirectory_IsRefusedAndDeleted_QueuingNothing()
    {
        await using var link = new OneWayLink(new OneWaySettings { Redundancy = 1, ParityEvery = 0 });
        await link.StartAsync();
        await link.Sender.SendAsync("site-b", Payload(0));
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "written");
        link.Drop();
        var report = ReportOf(link);
        using var otherKeys = global::Relay.Layer1.Identity.NodeKeyPair.Generate(report.Receiver);
        var forged = report.Sign(otherKeys);

        var request = ResendRequests.Submit(new System.IO.Abstractions.FileSystem(), link.SenderOptions.StateDirectory, report, forged);

        await Eventually.TrueAsync(() => !File.Exists(request), Limit, "the request is taken");
        Assert.Equal(0, link.SenderStatus.Resent);
        Assert.Empty(link.WaitingFiles());
    }

    [Fact]
    public async Task ThroughTheOneWayPipeWithFivePercentLoss_AtDefaults_EveryMessageArrivesOnceInOrder_AfterOneResendAtMost()
    {
        var profile = new FaultProfile { Loss = 0.05, Duplicate = 0.02, Seed = 4242 };
        // Small files, so that the 400 messages make some hundreds of files for the pipe to lose.
        await using var link = new OneWayLink(OneWaySettings.DefaultsFor(PeerDirection.SendOnly), profile, maxFileBytes: 16 * 1024);
        await link.StartAsync();
        const int count = 400;

        for (var i = 0; i < count; i++)
        {
            await link.Sender.SendAsync("site-b", Payload(i));
        }

        // Everything written has been through the pipe (which delays nothing), and the receiver has consumed all it delivered.
        await Eventually.TrueAsync(() => link.SenderStatus.InFlight == 0, Limit, "every file is written");
        await Eventually.TrueAsync(() => Quiet(link), Limit, "the pipe and the receiver are done");

        // Two copies of every data file, and a parity file for every eight (or fewer, when a group closed early).
        var sender = link.SenderStatus;
        var dataCopies = sender.FilesWritten - sender.ParityFilesWritten;
        Assert.Equal(dataCopies, sender.CopiesWritten * 2);
        Assert.InRange(sender.ParityFilesWritten, (sender.CopiesWritten + 7) / 8, sender.CopiesWritten);
        var status = link.ReceiverStatus;
        Assert.True(status.DuplicateFiles > 0, "copies arrive and are counted as duplicates");
        Assert.Empty(status.Rejected);
        if (link.Received.Count < count)
        {
            // A loss the copies and parity could not cover: it shows as a gap (or a lost tail), and one report brings it.
            await link.Sender.ResendAsync("site-b", ReportOf(link).Requested());
        }

        await Eventually.TrueAsync(() => link.Received.Count >= count, Limit, "every message arrives");
        await Eventually.TrueAsync(() => Quiet(link), Limit, "the pipe and the receiver are done");
        Assert.Equal(Enumerable.Range(0, count).Select(Payload), link.Received);
        Assert.Empty(link.ReceiverStatus.Gaps);
        Assert.Equal(0, link.Back!.Counters.Seen);
        output.WriteLine($"{sender.FilesWritten} files written before any resend, {link.Pipe!.Counters.Lost} lost by the pipe, {status.ParityRebuilds} rebuilt from parity, {status.MissingFragments} fragment(s) missing before the resend");
    }

    private static bool Quiet(OneWayLink link) =>
        link.Pipe!.Counters.Seen == link.SenderStatus.FilesWritten && link.WaitingFiles().Count == 0 && !Directory.EnumerateFiles(link.ReceiverInbox).Any();

    private static byte[] Payload(int index) => TestPayloads.Create(8, index, 500 + (index % 7 * 1000));

    private static GapReport ReportOf(OneWayLink link)
    {
        var status = link.ReceiverStatus;
        return new GapReport
        {
            Receiver = "site-b",
            Sender = "site-a",
            Created = DateTimeOffset.UtcNow,
            ReceivedThrough = status.HighestReceived,
            Gaps = status.Gaps.Select(g => new MissingRange(g.From, g.To)).ToList(),
        };
    }
}
