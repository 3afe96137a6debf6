using CsCheck;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;
using Relay.Tests.Shared;

namespace Relay.Layer1.Tests.Format;

/// <summary>Body records and fragments: any bytes give records or a reason, never an exception; what is written reads back.</summary>
public sealed class BodyRecordsPropertyTests
{
    private static readonly Gen<AckState> Acks =
        Gen.Select(Gen.Long[0, long.MaxValue], Gen.Long[0, 1L << 50], Gen.Long[1, 1000].Array[0, 40])
            .Select((id, cumulative, steps) =>
            {
                var ranges = new List<SequenceRange>();
                var previous = cumulative;
                for (var i = 0; i + 1 < steps.Length && ranges.Count < BodyRecords.MaxAckRanges; i += 2)
                {
                    var from = previous + 1 + steps[i];
                    var to = from + steps[i + 1] - 1;
                    ranges.Add(new SequenceRange(from, to));
                    previous = to;
                }

                return new AckState(id, cumulative, ranges);
            });

    private static readonly Gen<OutboundFragment> Fragments =
        Gen.Select(Gen.Long[1, long.MaxValue], Gen.Byte[0, 3], Gen.Long[0, long.MaxValue], Gen.Byte.Array[0, 300])
            .Select((sequence, flags, lamport, data) => new OutboundFragment(sequence, (FragmentFlags)flags, lamport, data));

    private static readonly Gen<(AckState Ack, OutboundFragment[] Fragments)> Bodies = Gen.Select(Acks, Fragments.Array[0, 8]);

    [Fact]
    public void WrittenRecords_ReadBackAsWritten()
    {
        Bodies.Sample(
            body =>
            {
                var read = new List<ReceivedFragment>();
                Assert.Null(BodyRecords.TryRead(Encode(body.Ack, body.Fragments), read, out var ack));
                Assert.Equal(body.Ack.AckId, ack!.AckId);
                Assert.Equal(body.Ack.Cumulative, ack.Cumulative);
                Assert.Equal(body.Ack.Ranges, ack.Ranges);
                Assert.Equal(
                    body.Fragments.Select(f => (f.Sequence, f.Flags, f.LamportTime, Convert.ToHexString(f.Data.Span))),
                    read.Select(f => (f.Sequence, f.Flags, f.LamportTime, Convert.ToHexString(f.Data.Span))));
            },
            iter: 2000);
    }

    [Fact]
    public void ArbitraryBytes_GiveRecordsOrAReason()
    {
        Gen.Byte.Array[0, 512].Sample(bytes => ReadWithoutThrowing(bytes), iter: 20_000);
    }

    [Fact]
    public void MutatedBodies_GiveRecordsOrAReason()
    {
        var valid = Bodies.Select(body => Encode(body.Ack, body.Fragments));
        Mutations.Of(valid).Sample(bytes => ReadWithoutThrowing(bytes), iter: 10_000);
        Mutations.Inserted(valid).Sample(bytes => ReadWithoutThrowing(bytes), iter: 10_000);
    }

    // Accepted: every rule holds in what came out. Refused: a detail and nothing half-read.
    private static void ReadWithoutThrowing(byte[] bytes)
    {
        var fragments = new List<ReceivedFragment>();
        var error = BodyRecords.TryRead(bytes, fragments, out var ack);
        if (error is null)
        {
            Assert.NotNull(ack);
            Assert.True(ack.AckId >= 0 && ack.Cumulative >= 0);
            Assert.All(fragments, f => Assert.True(f.Sequence >= 1 && f.LamportTime >= 0 && (f.Flags & ~FragmentFlags.Whole) == 0));
        }
        else
        {
            Assert.NotEmpty(error);
        }
    }

    private static byte[] Encode(AckState ack, OutboundFragment[] fragments)
    {
        var body = new byte[BodyRecords.AckRecordLength(ack.Ranges.Count) + fragments.Sum(f => f.RecordLength)];
        var offset = BodyRecords.WriteAck(body, ack);
        foreach (var fragment in fragments)
        {
            offset += BodyRecords.WriteFragment(body.AsSpan(offset), fragment);
        }

        return body;
    }
}
