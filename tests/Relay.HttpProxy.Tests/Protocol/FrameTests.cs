using System.Buffers;
using System.Buffers.Binary;
using MessagePack;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Protocol;

/// <summary>What version 2 refuses, and how its structured payloads take later versions' fields.</summary>
public sealed class FrameTests
{
    private static readonly Guid StreamId = Guid.NewGuid();

    [Fact]
    public void VersionOneFrame_IsRefusedAsUnsupported_AndItsStreamCanStillBeRead()
    {
        var frame = FrameSamples.Build(f => f.BeginData(true, StreamId), [1, 2, 3], BodyCodec.None, 3);
        frame[0] = 1;

        Assert.False(Frame.TryParse(frame, out _, out var reject));
        Assert.Equal(FrameReject.UnsupportedVersion, reject);
        Assert.True(Frame.TryPeek(frame, out var version, out var type, out var streamId, out var fromInitiator));
        Assert.Equal((1, (byte)FrameType.Data, StreamId, true), (version, type, streamId, fromInitiator));
    }

    [Fact]
    public void UnsupportedVersionAnswer_IsReadWhateverItsVersionByte()
    {
        var answer = FrameWriter.UnsupportedVersion(StreamId, fromInitiator: false);
        answer[0] = 9;

        Assert.True(Frame.TryReadUnsupportedVersion(answer, out var document));
        Assert.Equal("unsupported_api_version", document!.Error);
        Assert.Equal([2], document.SupportedVersions);
    }

    [Theory]
    [InlineData(0x10)] // a flag bit version 2 does not define
    [InlineData(0x0C)] // codec 3
    public void UndefinedFlags_AreRefused(byte flags)
    {
        var frame = FrameSamples.Build(f => f.BeginData(true, StreamId), [1, 2, 3], BodyCodec.None, null);
        frame[2] |= flags;

        Assert.False(Frame.TryParse(frame, out _, out var reject));
        Assert.Equal(FrameReject.BadFlags, reject);
    }

    [Fact]
    public void ControlFrameWithBodyFlags_IsRefused()
    {
        var credit = FrameWriter.Credit(StreamId, fromInitiator: true, 10);
        credit[2] |= (byte)FrameFlags.EndOfBody;

        Assert.False(Frame.TryParse(credit, out _, out var reject));
        Assert.Equal(FrameReject.BadFlags, reject);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(BodyBlock.MaxDecodedLength + 1u)]
    public void CompressedBlockDeclaringALengthOutOfRange_IsRefused(uint declared)
    {
        var frame = FrameSamples.Build(f => f.BeginData(true, StreamId), FrameSamples.Compressible(5000), BodyCodec.Lz4, null);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(Frame.HeaderLength), declared);

        Assert.False(Frame.TryParse(frame, out _, out var reject));
        Assert.Equal(FrameReject.BadLength, reject);
    }

    [Fact]
    public void HeadLengthBeyondThePayload_IsRefused()
    {
        var frame = FrameSamples.Build(f => f.BeginResponse(StreamId, new ResponseHead(200, [], 0)), [], BodyCodec.None, 0);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(Frame.HeaderLength), (uint)frame.Length);

        Assert.False(Frame.TryParse(frame, out _, out var reject));
        Assert.Equal(FrameReject.BadLength, reject);
    }

    [Fact]
    public void NegativeDeclaredTotal_IsRefused()
    {
        var frame = FrameSamples.Build(f => f.BeginData(true, StreamId), [1], BodyCodec.None, -1);

        Assert.False(Frame.TryParse(frame, out _, out var reject));
        Assert.Equal(FrameReject.BadLength, reject);
    }

    [Fact]
    public void ZeroCredit_IsRefused()
    {
        Assert.False(Frame.TryParse(FrameWriter.Credit(StreamId, true, 0), out _, out var reject));
        Assert.Equal(FrameReject.BadPayload, reject);
    }

    [Fact]
    public void ResponseHeadWithFieldsOfALaterVersion_IsRead_AndTheExtraFieldsSkipped()
    {
        var head = Payload((ref MessagePackWriter writer) =>
        {
            writer.WriteArrayHeader(5);
            writer.Write(201);
            writer.WriteArrayHeader(2);
            writer.Write("Location");
            writer.Write("/x");
            writer.WriteNil();
            writer.Write("a later field");
            writer.WriteMapHeader(1);
            writer.Write(1);
            writer.WriteArrayHeader(1);
            writer.Write(true);
        });

        Assert.True(FramePayloads.TryDecode<ResponseHead>(head, out var decoded));
        FrameSamples.AssertSame(new ResponseHead(201, HeaderList.FromNamesAndValues(["Location", "/x"]), null), decoded);
    }

    [Fact]
    public void RequestHeadWithoutItsOptionalFields_TakesTheirDefaults()
    {
        var head = Payload((ref MessagePackWriter writer) => WriteRequestHeadFields(ref writer, 10));

        Assert.True(FramePayloads.TryDecode<RequestHead>(head, out var decoded));
        FrameSamples.AssertSame(new RequestHead("GET", "http://callee/", [], null, false, 5000, BodyCodec.Brotli, null, "relay", "https", null, null), decoded);
    }

    [Fact]
    public void RequestHeadMissingARequiredField_IsRefused()
    {
        var full = FramePayloads.ToBytes(new RequestHead("GET", "http://callee/", [], null, false, 5000, BodyCodec.None, null, "relay", "https"));
        var nine = Payload((ref MessagePackWriter writer) => WriteRequestHeadFields(ref writer, 9));

        Assert.True(FramePayloads.TryDecode<RequestHead>(full, out _));
        Assert.False(FramePayloads.TryDecode<RequestHead>(nine, out _));
    }

    [Theory]
    [InlineData(99)]
    [InlineData(1000)]
    public void ResponseStatusOutOfRange_IsRefused(int status)
    {
        Assert.False(FramePayloads.TryDecode<ResponseHead>(FramePayloads.ToBytes(new ResponseHead(status, [], null)), out _));
    }

    [Fact]
    public void HeadersWithANameWithoutAValue_AreRefused()
    {
        // Written by hand: a header list cannot be built with a name and no value.
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(3);
        writer.Write(200);
        writer.WriteArrayHeader(1);
        writer.Write("X-Lonely");
        writer.WriteNil();
        writer.Flush();
        Assert.False(FramePayloads.TryDecode<ResponseHead>(buffer.WrittenMemory, out _));
    }

    [Fact]
    public void DeeplyNestedExtraField_IsRefusedWithoutThrowing()
    {
        var head = Payload((ref MessagePackWriter writer) =>
        {
            writer.WriteArrayHeader(4);
            writer.Write(200);
            writer.WriteArrayHeader(0);
            writer.WriteNil();
            for (var i = 0; i < 100_000; i++)
            {
                writer.WriteArrayHeader(1);
            }

            writer.WriteNil();
        });

        Assert.False(FramePayloads.TryDecode<ResponseHead>(head, out _));
    }

    [Fact]
    public void ArrayClaimingMoreElementsThanThePayloadHolds_IsRefused()
    {
        var heartbeat = Payload((ref MessagePackWriter writer) =>
        {
            writer.WriteArrayHeader(1);
            writer.WriteArrayHeader(int.MaxValue);
        });

        Assert.False(ControlPayloads.TryReadHeartbeat(heartbeat, out _));
    }

    [Fact]
    public void TrailingBytesAfterAHead_AreRefused()
    {
        byte[] head = [.. FramePayloads.ToBytes(new ResponseHead(200, [], null)), 0xC0];

        Assert.False(FramePayloads.TryDecode<ResponseHead>(head, out _));
    }

    // The first fields of a request head, as an array of just those: GET http://callee/, no headers, 5 s, Brotli back, host relay, https.
    private static void WriteRequestHeadFields(ref MessagePackWriter writer, int count)
    {
        writer.WriteArrayHeader(count);
        WritePayload[] fields =
        [
            (ref MessagePackWriter w) => w.Write("GET"),
            (ref MessagePackWriter w) => w.Write("http://callee/"),
            (ref MessagePackWriter w) => w.WriteArrayHeader(0),
            (ref MessagePackWriter w) => w.WriteNil(),
            (ref MessagePackWriter w) => w.Write(false),
            (ref MessagePackWriter w) => w.Write(5000L),
            (ref MessagePackWriter w) => w.Write((byte)BodyCodec.Brotli),
            (ref MessagePackWriter w) => w.WriteNil(),
            (ref MessagePackWriter w) => w.Write("relay"),
            (ref MessagePackWriter w) => w.Write("https"),
        ];
        foreach (var field in fields.Take(count))
        {
            field(ref writer);
        }
    }

    private static byte[] Payload(WritePayload write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private delegate void WritePayload(ref MessagePackWriter writer);
}
