using Relay.Layer1.Channels;

namespace Relay.Layer1.Tests.Channels;

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
        Assert.True(BodyRecords.TryRead(body, read, out var readAck));
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
    public void UnknownRecordTypes_AreSkipped()
    {
        byte[] body = [99, 0, 0, 0, 2, 0xAA, 0xBB];
        Assert.True(BodyRecords.TryRead(body, [], out var ack));
        Assert.Null(ack);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 50, 1 })]
    [InlineData(new byte[] { 2, 0, 0, 0, 3, 1, 2, 3 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 })]
    public void MalformedBodies_AreRefused(byte[] body)
    {
        Assert.False(BodyRecords.TryRead(body, [], out _));
    }

    [Fact]
    public void AckRangesOutOfOrder_AreRefused()
    {
        var ack = new AckState(1, 0, [new SequenceRange(9, 10), new SequenceRange(3, 4)]);
        var body = new byte[BodyRecords.AckRecordLength(2)];
        BodyRecords.WriteAck(body, ack);
        Assert.False(BodyRecords.TryRead(body, [], out _));
    }
}
