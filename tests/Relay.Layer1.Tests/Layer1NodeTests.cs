using System.Text;
using Microsoft.Extensions.Options;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests;

public sealed class Layer1NodeTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task SharedFolder_BothDirections_DeliverInOrderAndByteIdentical()
    {
        var shared = _folder.Sub("shared");
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), shared, shared), TestKeys.SiteA, TestKeys.SiteB);
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), shared, shared), TestKeys.SiteB, TestKeys.SiteA);

        for (var i = 0; i < 50; i++)
        {
            await a.SendAsync("site-b", TestPayloads.Create(1, i, i * 37));
            await b.SendAsync("site-a", TestPayloads.Create(2, i, i * 53));
        }

        for (var i = 0; i < 50; i++)
        {
            var atB = await b.ReceiveWithinAsync("site-a", Wait);
            Assert.Equal(TestPayloads.Create(1, i, i * 37), atB.Payload.ToArray());
            await b.MarkHandledAsync(atB);
            var atA = await a.ReceiveWithinAsync("site-b", Wait);
            Assert.Equal(TestPayloads.Create(2, i, i * 53), atA.Payload.ToArray());
            await a.MarkHandledAsync(atA);
        }
    }

    [Fact]
    public async Task ThreeNodesInOneFolder_EachTakesOnlyWhatIsAddressedToIt()
    {
        var shared = _folder.Sub("shared");
        var keys = new[] { TestKeys.SiteA, TestKeys.SiteB, TestKeys.SiteC };
        var nodes = keys.Select(self => TestNodes.Open(
            TestNodes.Options(_folder.Sub("state-" + self.NodeId), shared, shared), self, [.. keys.Where(k => k != self)])).ToList();
        try
        {
            foreach (var from in nodes)
            {
                foreach (var to in nodes.Where(n => n != from))
                {
                    for (var i = 0; i < 20; i++)
                    {
                        await from.SendAsync(to.NodeId, Encoding.UTF8.GetBytes($"{from.NodeId}->{to.NodeId} {i}"));
                    }
                }
            }

            foreach (var to in nodes)
            {
                foreach (var from in nodes.Where(n => n != to))
                {
                    for (var i = 0; i < 20; i++)
                    {
                        var message = await to.ReceiveWithinAsync(from.NodeId, Wait);
                        Assert.Equal($"{from.NodeId}->{to.NodeId} {i}", Encoding.UTF8.GetString(message.Payload.Span));
                        await to.MarkHandledAsync(message);
                    }
                }
            }

            foreach (var node in nodes)
            {
                Assert.All(node.GetStatus().Peers, peer => Assert.Empty(peer.Rejected));
                Assert.Empty(node.GetStatus().RejectedFromUnknownSenders);
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task HandledMessages_AreAcknowledged_AndEveryFileIsCleanedUp()
    {
        var shared = _folder.Sub("shared");
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), shared, shared), TestKeys.SiteA, TestKeys.SiteB);
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), shared, shared), TestKeys.SiteB, TestKeys.SiteA);

        var sent = new List<SentMessage>();
        for (var i = 0; i < 20; i++)
        {
            sent.Add(await a.SendAsync("site-b", Encoding.UTF8.GetBytes($"message {i}")));
        }

        for (var i = 0; i < 20; i++)
        {
            await b.MarkHandledAsync(await b.ReceiveWithinAsync("site-a", Wait));
        }

        await Task.WhenAll(sent.Select(s => s.Acknowledged)).WaitAsync(Wait);
        Assert.Equal(0, a.GetStatus().Peers.Single().InFlight);
        await Eventually.TrueAsync(() => Directory.GetFiles(shared).Length == 0, Wait, "senders delete acknowledged files and receivers delete consumed ones");
    }

    [Fact]
    public async Task MessageLargerThanTheFileBound_IsSplitAcrossFilesAndReassembled()
    {
        var shared = _folder.Sub("shared");
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), shared, shared, maxFileBytes: 64 * 1024), TestKeys.SiteA, TestKeys.SiteB);
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), shared, shared, maxFileBytes: 64 * 1024), TestKeys.SiteB, TestKeys.SiteA);
        var payload = TestPayloads.Create(3, 0, 1_000_000);

        var sent = await a.SendAsync("site-b", payload);
        var received = await b.ReceiveWithinAsync("site-a", Wait);

        Assert.True(sent.LastSequence - sent.Sequence >= 15, "a 1 MB message over 64 KiB files needs at least 16 fragments");
        Assert.Equal(sent.Sequence, received.Sequence);
        Assert.Equal(sent.LastSequence, received.LastSequence);
        Assert.Equal(payload, received.Payload.ToArray());
        Assert.True(a.GetStatus().Peers.Single().FilesWritten >= 16);
    }

    [Fact]
    public async Task UnhandledMessage_IsDeliveredAgainAfterRestart_HandledOneIsNot()
    {
        var shared = _folder.Sub("shared");
        var stateB = _folder.Sub("state-b");
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), shared, shared), TestKeys.SiteA, TestKeys.SiteB);
        await a.SendAsync("site-b", "first"u8.ToArray());
        await a.SendAsync("site-b", "second"u8.ToArray());

        await using (var b = TestNodes.Open(TestNodes.Options(stateB, shared, shared), TestKeys.SiteB, TestKeys.SiteA))
        {
            var first = await b.ReceiveWithinAsync("site-a", Wait);
            await b.MarkHandledAsync(first);
            var second = await b.ReceiveWithinAsync("site-a", Wait);
            Assert.Equal("second"u8.ToArray(), second.Payload.ToArray());
        }

        await using (var b = TestNodes.Open(TestNodes.Options(stateB, shared, shared), TestKeys.SiteB, TestKeys.SiteA))
        {
            var again = await b.ReceiveWithinAsync("site-a", Wait);
            Assert.Equal("second"u8.ToArray(), again.Payload.ToArray());
            await b.MarkHandledAsync(again);
            await a.SendAsync("site-b", "third"u8.ToArray());
            var third = await b.ReceiveWithinAsync("site-a", Wait);
            Assert.Equal("third"u8.ToArray(), third.Payload.ToArray());
        }
    }

    [Fact]
    public async Task QueuedMessages_SurviveASenderRestart()
    {
        var aOut = _folder.Sub("a-out");
        var bOut = _folder.Sub("b-out");
        var stateA = _folder.Sub("state-a");

        // Nobody reads yet: once this node is gone, only its state store holds these messages.
        await using (var a = TestNodes.Open(TestNodes.Options(stateA, aOut, bOut), TestKeys.SiteA, TestKeys.SiteB))
        {
            for (var i = 0; i < 10; i++)
            {
                await a.SendAsync("site-b", TestPayloads.Create(4, i, 100));
            }
        }

        await using var reopened = TestNodes.Open(TestNodes.Options(stateA, aOut, bOut), TestKeys.SiteA, TestKeys.SiteB);
        Assert.Equal(10, reopened.GetStatus().Peers.Single().InFlight);
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), bOut, aOut), TestKeys.SiteB, TestKeys.SiteA);
        for (var i = 0; i < 10; i++)
        {
            var message = await b.ReceiveWithinAsync("site-a", Wait);
            Assert.Equal(TestPayloads.Create(4, i, 100), message.Payload.ToArray());
            await b.MarkHandledAsync(message);
        }

        await Eventually.TrueAsync(() => reopened.GetStatus().Peers.Single().InFlight == 0, Wait, "the reopened sender learns the messages were handled");
        await Eventually.TrueAsync(() => Directory.GetFiles(aOut).Length == 0, Wait, "acknowledged and consumed files are gone");
        Assert.Equal(10, b.GetStatus().Peers.Single().Delivered);
    }

    [Fact]
    public async Task ForgedNode_IsRejectedAsBadSignature_AndTheRealChannelKeepsWorking()
    {
        var aOut = _folder.Sub("a-out");
        var bOut = _folder.Sub("b-out");
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), aOut, bOut), TestKeys.SiteA, TestKeys.SiteB);
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), bOut, aOut), TestKeys.SiteB, TestKeys.SiteA);
        await using var forger = TestNodes.Open(TestNodes.Options(_folder.Sub("state-forger"), aOut, _folder.Sub("forger-in")), TestKeys.ForgedSiteA, TestKeys.SiteB);

        for (var i = 0; i < 5; i++)
        {
            await forger.SendAsync("site-b", Encoding.UTF8.GetBytes($"forged {i}"));
        }

        await Eventually.TrueAsync(
            () => b.GetStatus().Peers.Single().Rejected.GetValueOrDefault(FileRejectReason.BadSignature) >= 1,
            Wait,
            "site-b rejects the forger's files");

        await a.SendAsync("site-b", "genuine"u8.ToArray());
        var received = await b.ReceiveWithinAsync("site-a", Wait);
        Assert.Equal("genuine"u8.ToArray(), received.Payload.ToArray());
        Assert.Equal(1, b.GetStatus().Peers.Single().Delivered);
    }

    [Fact]
    public async Task SignedOnlyPeers_DeliverBothWays_WithBodiesReadableInTheFolder()
    {
        var aOut = _folder.Sub("a-out");
        var bOut = _folder.Sub("b-out");
        var options = TestNodes.Options(_folder.Sub("state-a"), aOut, bOut);
        options.DeleteConsumedFiles = false;
        await using var a = Layer1Node.Open(options, TestKeys.SiteA, [TestKeys.SiteB.PublicKeys.WithProtection(BodyProtection.SignedOnly)]);
        await using var b = Layer1Node.Open(TestNodes.Options(_folder.Sub("state-b"), bOut, aOut), TestKeys.SiteB, [TestKeys.SiteA.PublicKeys.WithProtection(BodyProtection.SignedOnly)]);

        await a.SendAsync("site-b", "scan me: plain text"u8.ToArray());
        await b.SendAsync("site-a", "and me"u8.ToArray());

        var atB = await b.ReceiveWithinAsync("site-a", Wait);
        var atA = await a.ReceiveWithinAsync("site-b", Wait);
        Assert.Equal("scan me: plain text", Encoding.UTF8.GetString(atB.Payload.Span));
        Assert.Equal("and me", Encoding.UTF8.GetString(atA.Payload.Span));
        Assert.Contains(Directory.GetFiles(bOut), f => File.ReadAllText(f).Contains("and me", StringComparison.Ordinal));
        Assert.All(a.GetStatus().Peers.Concat(b.GetStatus().Peers), peer => Assert.Empty(peer.Rejected));
    }

    [Fact]
    public async Task PeersThatDisagreeOnEncryption_RejectEachOthersFilesAsProtectionMismatch()
    {
        var aOut = _folder.Sub("a-out");
        var bOut = _folder.Sub("b-out");
        await using var a = Layer1Node.Open(TestNodes.Options(_folder.Sub("state-a"), aOut, bOut), TestKeys.SiteA, [TestKeys.SiteB.PublicKeys.WithProtection(BodyProtection.SignedOnly)]);
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), bOut, aOut), TestKeys.SiteB, TestKeys.SiteA);

        await a.SendAsync("site-b", "not for a scanner"u8.ToArray());

        await Eventually.TrueAsync(
            () => b.GetStatus().Peers.Single().Rejected.GetValueOrDefault(FileRejectReason.ProtectionMismatch) >= 1
                && a.GetStatus().Peers.Single().Rejected.GetValueOrDefault(FileRejectReason.ProtectionMismatch) >= 1,
            Wait,
            "each node rejects the other's files");
        Assert.Equal(0, b.GetStatus().Peers.Single().Delivered);
    }

    [Fact]
    public async Task UnknownSender_IsRejectedCountedAndDeleted()
    {
        var shared = _folder.Sub("shared");
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), shared, shared), TestKeys.SiteB, TestKeys.SiteA);
        await using var stranger = TestNodes.Open(TestNodes.Options(_folder.Sub("state-s"), shared, _folder.Sub("s-in")), TestKeys.Stranger, TestKeys.SiteB);

        await stranger.SendAsync("site-b", "hello"u8.ToArray());

        await Eventually.TrueAsync(
            () => b.GetStatus().RejectedFromUnknownSenders.GetValueOrDefault(FileRejectReason.UnknownSender) >= 1,
            Wait,
            "site-b counts the stranger's file");
        await Eventually.TrueAsync(() => Directory.GetFiles(shared, "stranger_site-b_*").Length == 0, Wait, "the rejected file is dropped");
        Assert.Equal(0, b.GetStatus().Peers.Single().Delivered);
    }

    [Fact]
    public async Task GarbageAddressedToTheNode_IsDroppedAndCountedAsMalformed()
    {
        var inbox = _folder.Sub("in");
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), _folder.Sub("out"), inbox), TestKeys.SiteB, TestKeys.SiteA);
        var name = SegmentFileName.Create("site-a", "site-b", 1);

        await DropAsync(inbox, name, "this is not a segment file");

        await Eventually.TrueAsync(() => !File.Exists(Path.Combine(inbox, name)), Wait, "the garbage file is consumed");
        Assert.Equal(1, b.GetStatus().Peers.Single().Rejected.GetValueOrDefault(FileRejectReason.Malformed));
    }

    [Fact]
    public async Task FilesForOtherNodesAndTemporaryFiles_AreLeftUntouched()
    {
        var inbox = _folder.Sub("in");
        var forOther = Path.Combine(inbox, SegmentFileName.Create("site-a", "site-c", 1));
        var temporary = Path.Combine(inbox, SegmentFileName.TemporaryNameFor(SegmentFileName.Create("site-a", "site-b", 2)));
        var unrelated = Path.Combine(inbox, "readme.txt");
        foreach (var path in new[] { forOther, temporary, unrelated })
        {
            await File.WriteAllTextAsync(path, "x");
        }

        await using (var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), _folder.Sub("out"), inbox), TestKeys.SiteB, TestKeys.SiteA))
        {
            // A marker file the node must consume proves it has listed the folder after the others were there.
            var marker = Path.Combine(inbox, SegmentFileName.Create("site-a", "site-b", 3));
            await DropAsync(inbox, Path.GetFileName(marker), "garbage");
            await Eventually.TrueAsync(() => !File.Exists(marker), Wait, "the node consumes files addressed to it");
            Assert.Equal(1, b.GetStatus().Peers.Single().Rejected.Values.Sum());
        }

        Assert.True(File.Exists(forOther));
        Assert.True(File.Exists(temporary));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public async Task ReplayedOldFiles_AreRejectedAndDeliverNothingTwice()
    {
        var aOut = _folder.Sub("a-out");
        var bIn = _folder.Sub("b-in");
        var kept = _folder.Sub("kept");
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), aOut, _folder.Sub("a-in")), TestKeys.SiteA, TestKeys.SiteB);
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state-b"), _folder.Sub("b-out"), bIn), TestKeys.SiteB, TestKeys.SiteA);
        await SendThroughMirrorAsync(a, b, aOut, bIn, kept);
        await b.MarkHandledAsync(await b.ReceiveWithinAsync("site-a", Wait));
        await Eventually.TrueAsync(() => Directory.GetFiles(bIn).Length == 0, Wait, "site-b consumes what the mirror brought");

        // Every authentic file again, after it was consumed and its message handled.
        await ReplayKeptFilesAsync(b, bIn, kept);
    }

    [Fact]
    public async Task WithDeletionOff_ConsumedFilesStayAndAreNotReadAgain()
    {
        var aOut = _folder.Sub("a-out");
        var bIn = _folder.Sub("b-in");
        var optionsB = TestNodes.Options(_folder.Sub("state-b"), _folder.Sub("b-out"), bIn);
        optionsB.DeleteConsumedFiles = false;
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), aOut, _folder.Sub("a-in")), TestKeys.SiteA, TestKeys.SiteB);
        await using var b = TestNodes.Open(optionsB, TestKeys.SiteB, TestKeys.SiteA);
        await SendThroughMirrorAsync(a, b, aOut, bIn, _folder.Sub("kept"));
        var before = b.GetStatus().Peers.Single();

        // Several polls of the inbox happen in this time; none may take a consumed file again.
        await Task.Delay(optionsB.PollInterval * 4);

        var after = b.GetStatus().Peers.Single();
        Assert.NotEmpty(Directory.GetFiles(bIn, "*.relay"));
        Assert.Equal(before.FilesReceived, after.FilesReceived);
        Assert.Equal(before.Rejected.Values.Sum(), after.Rejected.Values.Sum());
        Assert.Equal(1, after.Delivered);
    }

    [Fact]
    public async Task WithDeletionOff_AConsumedFileRemovedByOthersIsForgotten()
    {
        var aOut = _folder.Sub("a-out");
        var bIn = _folder.Sub("b-in");
        var kept = _folder.Sub("kept");
        var optionsB = TestNodes.Options(_folder.Sub("state-b"), _folder.Sub("b-out"), bIn);
        optionsB.DeleteConsumedFiles = false;
        await using var a = TestNodes.Open(TestNodes.Options(_folder.Sub("state-a"), aOut, _folder.Sub("a-in")), TestKeys.SiteA, TestKeys.SiteB);
        await using var b = TestNodes.Open(optionsB, TestKeys.SiteB, TestKeys.SiteA);
        await SendThroughMirrorAsync(a, b, aOut, bIn, kept);

        // An archiving job takes the consumed files; a poll then shows them gone, and later copies under
        // the same names are new files to read (and reject as replays).
        foreach (var path in Directory.GetFiles(bIn))
        {
            File.Delete(path);
        }

        await Task.Delay(optionsB.PollInterval * 3);
        await ReplayKeptFilesAsync(b, bIn, kept);
    }

    [Fact]
    public async Task BurstOfFiles_IsAnsweredByAtMostOneAckFilePerAckDelay()
    {
        var aOut = _folder.Sub("a-out");
        var bOut = _folder.Sub("b-out");
        var optionsA = TestNodes.Options(_folder.Sub("state-a"), aOut, bOut);
        optionsA.Linger = TimeSpan.Zero;
        var optionsB = TestNodes.Options(_folder.Sub("state-b"), bOut, aOut);
        optionsB.AckDelay = TimeSpan.FromMilliseconds(50);
        await using var a = TestNodes.Open(optionsA, TestKeys.SiteA, TestKeys.SiteB);
        await using var b = TestNodes.Open(optionsB, TestKeys.SiteB, TestKeys.SiteA);
        var started = DateTime.UtcNow;

        var sends = new List<SentMessage>();
        for (var i = 0; i < 200; i++)
        {
            sends.Add(await a.SendAsync("site-b", TestPayloads.Create(7, i, 50)));
            await b.MarkHandledAsync(await b.ReceiveWithinAsync("site-a", Wait));
        }

        await Task.WhenAll(sends.Select(s => s.Acknowledged)).WaitAsync(Wait);
        var elapsed = DateTime.UtcNow - started;
        var dataFiles = a.GetStatus().Peers.Single().FilesWritten;
        var ackFiles = b.GetStatus().Peers.Single().FilesWritten;

        // One file per message (each waits for the previous), yet acks go out at most once per 50 ms.
        Assert.True(dataFiles >= 200, $"site-a wrote {dataFiles} files");
        Assert.True(ackFiles <= (elapsed / optionsB.AckDelay) + 2, $"site-b wrote {ackFiles} ack files for {dataFiles} data files in {elapsed.TotalMilliseconds:F0} ms");
    }

    // Sends one message and carries site-a's files to site-b by hand, keeping a copy of each, until it is delivered.
    private static async Task SendThroughMirrorAsync(Layer1Node a, Layer1Node b, string aOut, string bIn, string kept)
    {
        await a.SendAsync("site-b", "once"u8.ToArray());
        await Eventually.TrueAsync(
            () =>
            {
                CopyNewFiles(aOut, bIn, kept);
                return b.GetStatus().Peers.Single().Delivered == 1;
            },
            Wait,
            "the message crosses the mirror");
    }

    // Drops every kept copy into the inbox again: each is authentic but old, so each counts as a replay.
    private static async Task ReplayKeptFilesAsync(Layer1Node b, string bIn, string kept)
    {
        var replayedBefore = b.GetStatus().Peers.Single().Rejected.GetValueOrDefault(FileRejectReason.Replayed);
        var copies = Directory.GetFiles(kept);
        foreach (var copy in copies)
        {
            await DropAsync(bIn, Path.GetFileName(copy), await File.ReadAllBytesAsync(copy));
        }

        await Eventually.TrueAsync(
            () => b.GetStatus().Peers.Single().Rejected.GetValueOrDefault(FileRejectReason.Replayed) == replayedBefore + copies.Length,
            Wait,
            "site-b rejects every replayed file");
        Assert.Equal(1, b.GetStatus().Peers.Single().Delivered);
    }

    // Carries each final-named file from one folder to another once, as a mirror would, keeping a copy
    // in `kept` (which also records what was already carried).
    private static void CopyNewFiles(string from, string to, string kept)
    {
        foreach (var path in Directory.GetFiles(from, "*.relay"))
        {
            var name = Path.GetFileName(path);
            if (File.Exists(Path.Combine(kept, name)))
            {
                continue;
            }

            File.Copy(path, Path.Combine(kept, name));
            File.Copy(path, Path.Combine(to, SegmentFileName.TemporaryNameFor(name)));
            File.Move(Path.Combine(to, SegmentFileName.TemporaryNameFor(name)), Path.Combine(to, name));
        }
    }

    private static async Task DropAsync(string folder, string name, byte[] content)
    {
        var temporary = Path.Combine(folder, SegmentFileName.TemporaryNameFor(name));
        await File.WriteAllBytesAsync(temporary, content);
        File.Move(temporary, Path.Combine(folder, name));
    }

    // As the folder contract says: write under a temporary name, then rename.
    private static async Task DropAsync(string folder, string name, string content)
    {
        var temporary = Path.Combine(folder, SegmentFileName.TemporaryNameFor(name));
        await File.WriteAllTextAsync(temporary, content);
        File.Move(temporary, Path.Combine(folder, name));
    }

    [Fact]
    public void InvalidOptions_StopOpeningWithAMessageNamingTheSetting()
    {
        var options = TestNodes.Options(_folder.Sub("state"), _folder.Sub("out"), _folder.Sub("in"));
        options.MaxFileBytes = 1000;
        options.Inbox = "";

        var error = Assert.Throws<OptionsValidationException>(() => TestNodes.Open(options, TestKeys.SiteB, TestKeys.SiteA));

        Assert.Contains("MaxFileBytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("Inbox", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownPeer_IsRefusedBySendAsync()
    {
        await using var b = TestNodes.Open(TestNodes.Options(_folder.Sub("state"), _folder.Sub("out"), _folder.Sub("in")), TestKeys.SiteB, TestKeys.SiteA);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => b.SendAsync("site-z", "x"u8.ToArray()));
        Assert.Contains("site-z", error.Message, StringComparison.Ordinal);
    }
}
