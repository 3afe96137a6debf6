using CsCheck;
using Relay.HttpProxy.Protocol;
using Relay.Tests.Shared;

namespace Relay.HttpProxy.Tests.Protocol;

/// <summary>
/// The frame decoder refuses, and never throws on, whatever bytes arrive; and every frame this node
/// writes decodes back to what was written.
/// </summary>
public sealed class FramePropertyTests
{
    private const long Iterations = 20_000;

    private static readonly Guid StreamId = Guid.NewGuid();

    private static readonly byte[][] ValidFrames =
    [
        FrameSamples.Build(f => f.BeginRequest(StreamId, new RequestHead("GET", "http://callee/x", HeaderList.FromNamesAndValues(["Accept", "*/*"]), null, false, 1000, BodyCodec.Lz4, "127.0.0.1", "relay", "http", 5, "/svc/")), [], BodyCodec.None, 0),
        FrameSamples.Build(f => f.BeginResponse(StreamId, new ResponseHead(200, HeaderList.FromNamesAndValues(["Content-Type", "text/plain"]), 3)), [1, 2, 3], BodyCodec.None, 3),
        FrameSamples.Build(f => f.BeginData(true, StreamId), FrameSamples.Compressible(600), BodyCodec.Lz4, null),
        FrameSamples.Build(f => f.BeginData(false, StreamId), FrameSamples.Compressible(600), BodyCodec.Brotli, 600),
        FrameSamples.Build(f => f.BeginData(false, StreamId), [9, 8, 7, 6], BodyCodec.None, 4),
        FrameWriter.Credit(StreamId, fromInitiator: true, 65536),
        FrameWriter.Reset(StreamId, fromInitiator: false, ResetReason.SourceFailed),
        FrameWriter.Heartbeat([Guid.NewGuid(), Guid.NewGuid()]),
        FrameWriter.UnsupportedVersion(StreamId, fromInitiator: true),
    ];

    [Fact]
    public void ArbitraryBytes_NeverThrow()
    {
        Gen.Byte.Array[0, 128].Sample(ParseAndReadEverything, iter: Iterations);
    }

    [Fact]
    public void ArbitraryBytesAfterAVersion2Header_NeverThrow()
    {
        // Random bytes rarely get past the version and type: these always do.
        Gen.Select(Gen.Int[1, 7], Gen.Byte[0, 15], Gen.Byte.Array[0, 96], (type, flags, payload) =>
        {
            var frame = new byte[Frame.HeaderLength + payload.Length];
            FrameWriter.WriteHeader(frame, (FrameType)type, (FrameFlags)flags, StreamId);
            payload.CopyTo(frame, Frame.HeaderLength);
            return frame;
        }).Sample(ParseAndReadEverything, iter: Iterations);
    }

    [Fact]
    public void MutatedValidFrames_NeverThrow()
    {
        Mutations.Of(Gen.Int[0, ValidFrames.Length - 1].Select(i => ValidFrames[i]))
            .Sample(ParseAndReadEverything, iter: Iterations);
    }

    [Fact]
    public void ArbitraryAndMutatedHeads_NeverThrowFromTheDecoders()
    {
        var heads = Gen.OneOf(
            FrameSamples.RequestHeads.Select(FramePayloads.ToBytes),
            FrameSamples.ResponseHeads.Select(FramePayloads.ToBytes));
        Gen.OneOf(Gen.Byte.Array[0, 96], Mutations.Of(heads)).Sample(bytes =>
        {
            _ = FramePayloads.TryDecode<RequestHead>(bytes, out _);
            _ = FramePayloads.TryDecode<ResponseHead>(bytes, out _);
            _ = FramePayloads.TryDecode<UnsupportedVersionDocument>(bytes, out _);
        }, iter: Iterations);
    }

    [Fact]
    public void ValidFrames_Parse()
    {
        Assert.All(ValidFrames, frame => Assert.True(Frame.TryParse(frame, out _, out var reject), reject.ToString()));
    }

    [Fact]
    public void RequestHeadFrames_RoundTrip()
    {
        Gen.Select(FrameSamples.RequestHeads, Gen.Byte.Array[0, 300], FrameSamples.Codec, Gen.Bool, (head, body, codec, end) => (head, body, codec, end)).Sample(sample =>
        {
            var bytes = FrameSamples.Build(f => f.BeginRequest(StreamId, sample.head), sample.body, sample.codec, sample.end ? sample.body.Length : null);
            Assert.True(Frame.TryParse(bytes, out var frame, out var reject), reject.ToString());
            Assert.Equal(FrameType.RequestHead, frame.Type);
            Assert.True(frame.FromInitiator);
            Assert.Equal(StreamId, frame.StreamId);
            Assert.Equal(sample.end, frame.EndOfBody);
            FrameSamples.AssertSame(sample.head, frame.RequestHead);
            Assert.Equal(sample.body, FrameSamples.DecodedBody(frame));
            Assert.Equal(sample.end ? sample.body.Length : 0, frame.DeclaredTotal);
        }, iter: 2_000);
    }

    [Fact]
    public void ResponseHeadAndDataFrames_RoundTrip()
    {
        Gen.Select(FrameSamples.ResponseHeads, Gen.OneOf(Gen.Byte.Array[0, 300], Gen.Int[0, 3000].Select(FrameSamples.Compressible)), FrameSamples.Codec, Gen.Long[0, long.MaxValue], (head, body, codec, total) => (head, body, codec, total)).Sample(sample =>
        {
            var head = FrameSamples.Build(f => f.BeginResponse(StreamId, sample.head), sample.body, sample.codec, sample.total);
            Assert.True(Frame.TryParse(head, out var headFrame));
            FrameSamples.AssertSame(sample.head, headFrame.ResponseHead);
            Assert.False(headFrame.FromInitiator);
            Assert.Equal(sample.body, FrameSamples.DecodedBody(headFrame));
            Assert.Equal(sample.total, headFrame.DeclaredTotal);

            var data = FrameSamples.Build(f => f.BeginData(false, StreamId), sample.body, sample.codec, null);
            Assert.True(Frame.TryParse(data, out var dataFrame));
            Assert.Equal(FrameType.Data, dataFrame.Type);
            Assert.False(dataFrame.EndOfBody);
            Assert.Equal(sample.body, FrameSamples.DecodedBody(dataFrame));
            Assert.Equal(sample.body.Length, dataFrame.DecodedLength);
        }, iter: 2_000);
    }

    [Fact]
    public void ControlFrames_RoundTrip()
    {
        Gen.Select(Gen.Int[1, int.MaxValue], Gen.Int[0, 9].Select(i => new[] { 1, 2, 3, 4, 5, 6, 7, 8, 10, 10 }[i]), Gen.Guid.Array[0, 40], Gen.Bool, (credit, reason, streams, initiator) => (credit, reason, streams, initiator)).Sample(sample =>
        {
            Assert.True(Frame.TryParse(FrameWriter.Credit(StreamId, sample.initiator, sample.credit), out var credit));
            Assert.Equal((FrameType.Credit, sample.credit, sample.initiator), (credit.Type, credit.CreditBytes, credit.FromInitiator));

            Assert.True(Frame.TryParse(FrameWriter.Reset(StreamId, sample.initiator, (ResetReason)sample.reason), out var reset));
            Assert.Equal((FrameType.Reset, (ResetReason)sample.reason), (reset.Type, reset.ResetReason));

            Assert.True(Frame.TryParse(FrameWriter.Heartbeat(sample.streams), out var heartbeat));
            Assert.Equal(sample.streams, heartbeat.HeartbeatStreams);

            Assert.True(Frame.TryParse(FrameWriter.UnsupportedVersion(StreamId, sample.initiator), out var unsupported));
            Assert.Equal(Frame.SupportedVersions, unsupported.UnsupportedVersion!.SupportedVersions);
        }, iter: 2_000);
    }

    // A refused frame is the reject: TryParse answers false. An accepted one must be safe to read whole.
    private static void ParseAndReadEverything(byte[] bytes)
    {
        if (Frame.TryParse(bytes, out var frame, out var reject))
        {
            Assert.Equal(FrameReject.None, reject);
            _ = frame.Body.Length + frame.HeadBytes.Length + frame.DeclaredTotal + frame.CreditBytes + (int)frame.ResetReason + frame.HeartbeatStreams.Count + frame.BodyCredit;
            if (frame.Codec != BodyCodec.None)
            {
                // Decoding a hostile block is a refusal too, never an exception.
                if (BodyBlock.TryDecodeRented(frame.Codec, frame.Body.Span, frame.DecodedLength, out var decoded))
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(decoded);
                }
            }
        }
        else
        {
            Assert.NotEqual(FrameReject.None, reject);
            _ = Frame.TryPeek(bytes, out _, out _, out _, out _);
            _ = Frame.TryReadUnsupportedVersion(bytes, out _);
        }
    }
}
