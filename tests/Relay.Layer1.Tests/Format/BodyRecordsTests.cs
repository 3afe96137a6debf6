using Relay.Layer1.Channels;
using Relay.Layer1.Format;

namespace Relay.Layer1.Tests.Format;

public sealed class BodyRecordsTests
{
    [Fact]
    public void AckAndFragments_RoundTrip()
    {
        var ack = new AckState(42, 7, [new SequenceRange(9, 10), new SequenceRange(15, 15)]);
        var fragments = new[]
        {
            new OutboundFragment(8, FragmentFlags.Whole, 100, new byte[] { 1, 2, 3 }),
            new OutboundFragment(9, FragmentFlags.First, 101, Array.Empty<byte>()),
        };
        var body = new byte[BodyRecords.AckRecordLength(2) + fragments.Sum(f => f.RecordLength)];
        var offset = BodyRecords.WriteAck(body, ack);
        foreach (var fragment in fragments)
        {
            offset += BodyRecords.WriteFragment(body.AsSpan(offset), fragment);
        }

        var read = new List<ReceivedFragment>();
        Assert.Null(BodyRecords.TryRead(body, read, out var readAck));
        Assert.Equal(ack.AckId, readAck!.AckId);
        Assert.Equal(ack.Cumulative, readAck.Cumulative);
        Assert.Equal(ack.Ranges, readAck.Ranges);
        Assert.Equal(2, read.Count);
        Assert.Equal(8, read[0].Sequence);
        Assert.Equal(FragmentFlags.Whole, read[0].Flags);
        Assert.Equal(100, read[0].LamportTime);
        Assert.Equal([1, 2, 3], read[0].Data.ToArray());
        Assert.Equal(FragmentFlags.First, read[1].Flags);
        Assert.True(read[1].Data.IsEmpty);
    }

    [Fact]
    public void UnknownRecordTypes_AfterTheAck_AreSkipped()
    {
        var body = AckThen([99, 0, 0, 0, 2, 0xAA, 0xBB]);
        var fragments = new List<ReceivedFragment>();

        Assert.Null(BodyRecords.TryRead(body, fragments, out var ack));
        Assert.Equal(7, ack!.AckId);
        Assert.Empty(fragments);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 99, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void BodyNotStartingWithAnAck_IsRefused(byte[] body)
    {
        Assert.NotNull(BodyRecords.TryRead(body, [], out _));
    }

    [Fact]
    public void SecondAck_IsRefused()
    {
        var ack = new byte[BodyRecords.AckRecordLength(0)];
        BodyRecords.WriteAck(ack, new AckState(8, 0, []));
        Assert.NotNull(BodyRecords.TryRead(AckThen(ack), [], out _));
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 50, 1 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 3, 1, 2, 3 })]
    [InlineData(new byte[] { 2, 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { 2, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0x80, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0 })]
    public void MalformedRecordsAfterTheAck_AreRefused(byte[] records)
    {
        Assert.NotNull(BodyRecords.TryRead(AckThen(records), [], out _));
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 18, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void MalformedAcks_AreRefused(byte[] body)
    {
        Assert.NotNull(BodyRecords.TryRead(body, [], out _));
    }

    [Fact]
    public void AckRangesOutOfOrder_AreRefused()
    {
        var ack = new AckState(1, 0, [new SequenceRange(9, 10), new SequenceRange(3, 4)]);
        var body = new byte[BodyRecords.AckRecordLength(2)];
        BodyRecords.WriteAck(body, ack);
        Assert.NotNull(BodyRecords.TryRead(body, [], out _));
    }

    private static byte[] AckThen(byte[] records)
    {
        var body = new byte[BodyRecords.AckRecordLength(0) + records.Length];
        var offset = BodyRecords.WriteAck(body, new AckState(7, 0, []));
        records.CopyTo(body, offset);
        return body;
    }
}
