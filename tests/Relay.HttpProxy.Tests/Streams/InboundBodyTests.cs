using System.Buffers;
using System.IO.Abstractions.TestingHelpers;
using Microsoft.Extensions.Time.Testing;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Tests.Streams;

public sealed class InboundBodyTests
{
    private static readonly Guid StreamId = Guid.NewGuid();

    [Theory]
    [InlineData(nameof(BodyCodec.None))]
    [InlineData(nameof(BodyCodec.Lz4))]
    [InlineData(nameof(BodyCodec.Brotli))]
    public async Task ChunksReadBackInOrder_AndTheEndChecksTheLength(string codecName)
    {
        var codec = Enum.Parse<BodyCodec>(codecName);
        var data = new byte[307_200];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)('a' + (i % 7));
        }

        using var body = new InboundBody(8 * 1024 * 1024, _ => { });
        using var encoder = new BodyEncoder(codec);
        var first = Parse(DataFrame(encoder, data.AsMemory(0, 262_144), end: null));
        var second = Parse(DataFrame(encoder, data.AsMemory(262_144), end: data.Length));
        Assert.Equal(codec, first.Codec);
        Assert.Equal(codec, second.Codec);
        Assert.True(body.TryAppend(BodyChunk.Of(first)));
        Assert.True(body.TryAppend(BodyChunk.Of(second)));
        var read = new MemoryStream();
        await body.CopyToAsync(read);
        Assert.Equal(data, read.ToArray());
    }

    [Fact]
    public async Task CorruptBlock_FailsTheReaderAsAProtocolViolation()
    {
        using var body = new InboundBody(1024 * 1024, _ => { });
        using var encoder = new BodyEncoder(BodyCodec.Lz4);
        var bytes = DataFrame(encoder, new byte[10_000], end: 10_000);
        var frame = Parse(bytes);
        Assert.Equal(BodyCodec.Lz4, frame.Codec);

        // A block that decodes to fewer bytes than its frame declared.
        Assert.True(body.TryAppend(BodyChunk.Of(frame) with { DecodedLength = frame.DecodedLength + 1 }));

        var failure = await Assert.ThrowsAsync<StreamResetException>(() => body.CopyToAsync(Stream.Null));
        Assert.Equal(ResetReason.ProtocolViolation, failure.Reason);
    }

    [Fact]
    public async Task MissingBytesBeforeTheEnd_FailTheReader()
    {
        using var body = new InboundBody(1024 * 1024, _ => { });
        using var encoder = new BodyEncoder(BodyCodec.None);
        Assert.True(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, new byte[100], end: 200)))));
        await Assert.ThrowsAsync<StreamResetException>(() => body.CopyToAsync(Stream.Null));
    }

    [Fact]
    public async Task Reset_FailsTheReaderAfterWhatCameBefore()
    {
        using var body = new InboundBody(1024 * 1024, _ => { });
        using var encoder = new BodyEncoder(BodyCodec.None);
        Assert.True(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, new byte[100], end: null)))));
        body.Fail(new StreamResetException(ResetReason.SourceFailed, "gone"));
        var buffer = new byte[1000];
        Assert.Equal(100, await body.ReadAsync(buffer));
        var failure = await Assert.ThrowsAsync<StreamResetException>(() => body.ReadAsync(buffer).AsTask());
        Assert.Equal(ResetReason.SourceFailed, failure.Reason);
    }

    [Fact]
    public void MoreThanTheWindow_IsRefused()
    {
        using var body = new InboundBody(1000, _ => { });
        using var encoder = new BodyEncoder(BodyCodec.None);
        Assert.True(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, new byte[600], end: null)))));
        Assert.False(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, new byte[600], end: null)))));
    }

    [Fact]
    public async Task ConsumedBytes_AreGrantedBackInBatches()
    {
        var grants = new List<int>();
        using var body = new InboundBody(4000, grants.Add);
        using var encoder = new BodyEncoder(BodyCodec.None);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, new byte[500], end: null)))));
        }

        var buffer = new byte[500];
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(500, await body.ReadAsync(buffer));
        }

        // A quarter of the window per grant: two grants of 1000, not four of 500.
        Assert.Equal([1000, 1000], grants);
    }

    [Fact]
    public async Task ReaderKeepingUpOverASlowLink_GrowsTheWindow_AndGrantsTheGrowth()
    {
        var time = new FakeTimeProvider();
        var grants = new List<int>();
        var tuner = new ReceiveWindowTuner(maximum: 8000, () => TimeSpan.FromSeconds(4), time);
        using var body = new InboundBody(4000, grants.Add, tuner);
        using var encoder = new BodyEncoder(BodyCodec.None);
        var buffer = new byte[1000];

        // 1000 bytes a second over a 4 s round trip: 8000 in flight would keep the link busy.
        for (var i = 0; i < 2; i++)
        {
            Assert.True(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, new byte[1000], end: null)))));
            Assert.Equal(1000, await body.ReadAsync(buffer));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(8000, body.Window);
        Assert.Equal(2000 + 4000, grants.Sum());

        // The sender may now have the grown window outstanding.
        for (var i = 0; i < 8; i++)
        {
            Assert.True(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, new byte[1000], end: null)))));
        }

        Assert.False(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, new byte[1], end: null)))));
    }

    [Fact]
    public async Task GrownWindow_KeepsWhatIsBeyondTheInitialWindowOnDisk_AndReadsItBackInOrder()
    {
        var time = new FakeTimeProvider();
        var fileSystem = new MockFileSystem();
        fileSystem.Directory.CreateDirectory("/waiting");
        var tuner = new ReceiveWindowTuner(maximum: 8000, () => TimeSpan.FromSeconds(4), time);
        var body = new InboundBody(4000, _ => { }, tuner, new BodySpill(fileSystem, "/waiting/body.part"));
        using var encoder = new BodyEncoder(BodyCodec.None);
        var buffer = new byte[1000];
        for (var i = 0; i < 2; i++)
        {
            Assert.True(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, Filled(1000, (byte)i), end: null)))));
            Assert.Equal(1000, await body.ReadAsync(buffer));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(8000, body.Window);

        // The reader lags: the grown window fills, half in memory, half on disk.
        for (var i = 0; i < 8; i++)
        {
            Assert.True(body.TryAppend(BodyChunk.Of(Parse(DataFrame(encoder, Filled(1000, (byte)(10 + i)), end: i == 7 ? 10_000 : null)))));
        }

        Assert.Equal(4000, fileSystem.FileInfo.New("/waiting/body.part").Length);
        var rest = new MemoryStream();
        await body.CopyToAsync(rest);
        Assert.Equal(Enumerable.Range(0, 8).SelectMany(i => Filled(1000, (byte)(10 + i))), rest.ToArray());

        body.Dispose();
        Assert.False(fileSystem.File.Exists("/waiting/body.part"));
    }

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        Array.Fill(bytes, value);
        return bytes;
    }

    private static byte[] DataFrame(BodyEncoder encoder, ReadOnlyMemory<byte> data, long? end)
    {
        using var frame = new OutgoingFrame();
        frame.BeginData(fromInitiator: true, StreamId);
        frame.AppendBody(new ReadOnlySequence<byte>(data), encoder);
        if (end is { } total)
        {
            frame.EndBody(total);
        }

        return frame.Memory.ToArray();
    }

    private static Frame Parse(byte[] bytes)
    {
        Assert.True(Frame.TryParse(bytes, out var frame));
        return frame;
    }
}
