using Microsoft.Extensions.Time.Testing;
using Relay.Layer1.Channels;
using Relay.Layer1.Exchange;
using Relay.Layer1.Format;
using Relay.Layer1.Tests.Format;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Exchange;

/// <summary>The receiver's own checks around the decoder (docs/protocol.md, "Receiver"): sender, size, age, records.</summary>
public sealed class SegmentReceiverTests
{
    private static readonly DateTimeOffset Created = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Created);
    private readonly SegmentReceiver _receiver;

    public SegmentReceiverTests() =>
        _receiver = new SegmentReceiver(SegmentCodecTests.CodecFor(TestKeys.SiteB, TestKeys.SiteA), id => id == "site-a", new Layer1Options(), _clock);

    [Fact]
    public void FileWithAnAckAndAFragment_GivesTheManifestAckAndFragment()
    {
        var (name, file) = Write(Records(new AckState(9, 0, []), new OutboundFragment(1, FragmentFlags.Whole, 1, "hi"u8.ToArray())));
        var fragments = new List<ReceivedFragment>();

        var receipt = _receiver.Read(name, file, new byte[file.Length], fragments);

        Assert.True(receipt.IsAccepted, receipt.Detail);
        Assert.Equal(9, receipt.Ack!.AckId);
        Assert.Equal("hi"u8.ToArray(), Assert.Single(fragments).Data.ToArray());
    }

    [Fact]
    public void AuthenticFileWhoseRecordsBreakTheRules_IsMalformedAndYieldsNoFragments()
    {
        var fragment = new OutboundFragment(1, FragmentFlags.Whole, 1, "hi"u8.ToArray());
        var body = new byte[fragment.RecordLength];
        BodyRecords.WriteFragment(body, fragment);
        var (name, file) = Write(body);
        var fragments = new List<ReceivedFragment>();

        var receipt = _receiver.Read(name, file, new byte[file.Length], fragments);

        Assert.Equal(FileRejectReason.Malformed, receipt.Reason);
        Assert.Empty(fragments);
    }

    [Fact]
    public void AgeIsJudgedByTheReceiversClock_UpToMaxFileAgeInclusive()
    {
        var (name, file) = Write(Records(new AckState(1, 0, [])));
        var maxAge = new Layer1Options().MaxFileAge;

        _clock.SetUtcNow(Created + maxAge);
        Assert.True(_receiver.Read(name, file, new byte[file.Length], []).IsAccepted);

        _clock.SetUtcNow(Created + maxAge + TimeSpan.FromMilliseconds(1));
        Assert.Equal(FileRejectReason.Expired, _receiver.Read(name, file, new byte[file.Length], []).Reason);
    }

    [Fact]
    public void FileDatedInTheFuture_IsAccepted()
    {
        var (name, file) = Write(Records(new AckState(1, 0, [])), Created + TimeSpan.FromDays(1));
        Assert.True(_receiver.Read(name, file, new byte[file.Length], []).IsAccepted);
    }

    [Fact]
    public void SenderAndLength_AreCheckedBeforeTheFileIsRead()
    {
        Assert.Null(_receiver.CheckSender("site-a"));
        Assert.Equal(FileRejectReason.UnknownSender, _receiver.CheckSender("stranger")!.Value.Reason);
        Assert.Null(_receiver.CheckLength(SegmentReceiver.MinAcceptedFileBytes));
        Assert.Equal(FileRejectReason.TooLarge, _receiver.CheckLength(SegmentReceiver.MinAcceptedFileBytes + 1L)!.Value.Reason);
    }

    private static byte[] Records(AckState ack, params OutboundFragment[] fragments)
    {
        var body = new byte[BodyRecords.AckRecordLength(ack.Ranges.Count) + fragments.Sum(f => f.RecordLength)];
        var offset = BodyRecords.WriteAck(body, ack);
        foreach (var fragment in fragments)
        {
            offset += BodyRecords.WriteFragment(body.AsSpan(offset), fragment);
        }

        return body;
    }

    private static (string Name, byte[] File) Write(byte[] body, DateTimeOffset? created = null)
    {
        var name = SegmentFileName.Create("site-a", "site-b", 1);
        using var stream = new MemoryStream();
        SegmentCodecTests.CodecFor(TestKeys.SiteA, TestKeys.SiteB).Write(stream, new SegmentManifest
        {
            Version = SegmentCodec.ProtocolVersion,
            Sender = "site-a",
            Recipient = "site-b",
            Channel = "site-a>site-b",
            FileName = name,
            CreatedAt = created ?? Created,
            LamportTime = 1,
            BodyLength = body.Length,
        }, body);
        return (name, stream.ToArray());
    }
}
