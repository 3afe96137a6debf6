using System.IO.Abstractions.TestingHelpers;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Tests.Streams;

/// <summary>A one-way body takes whatever comes, grants nothing, and keeps what its window cannot hold on disk, in order.</summary>
public sealed class OneWayInboundBodyTests
{
    private const string SpillPath = "/state/waiting-bodies/site-a-1.part";

    [Fact]
    public async Task PiecesPastTheWindow_WaitOnDisk_AndReadBackInOrder_ThenTheFileGoes()
    {
        var files = new MockFileSystem();
        files.Directory.CreateDirectory("/state/waiting-bodies");
        var body = InboundBody.OneWay(1000, new BodySpill(files, SpillPath));
        var data = Enumerable.Range(0, 2700).Select(i => (byte)(i * 7)).ToArray();

        // 600 in memory, then 600 + 600 past the window to disk.
        Assert.True(body.TryAppend(Chunk(data.AsMemory(0, 600), end: false, data.Length)));
        Assert.True(body.TryAppend(Chunk(data.AsMemory(600, 600), end: false, data.Length)));
        Assert.True(body.TryAppend(Chunk(data.AsMemory(1200, 600), end: false, data.Length)));
        Assert.Equal(1200, files.FileInfo.New(SpillPath).Length);

        // Read the first piece: the window has room again, so the next goes to memory, behind those on disk.
        var read = new byte[data.Length];
        var got = 0;
        while (got < 600)
        {
            got += await body.ReadAsync(read.AsMemory(got, 600 - got));
        }

        Assert.True(body.TryAppend(Chunk(data.AsMemory(1800, 900), end: true, data.Length)));
        Assert.Equal(1200, files.FileInfo.New(SpillPath).Length);
        int count;
        while ((count = await body.ReadAsync(read.AsMemory(got))) > 0)
        {
            got += count;
        }

        Assert.Equal(data, read);
        body.Dispose();
        Assert.False(files.File.Exists(SpillPath));
    }

    [Fact]
    public async Task WithoutASpill_NothingIsRefused_AndNoCreditIsGranted()
    {
        var body = InboundBody.OneWay(100, spill: null);
        var data = new byte[1000];

        Assert.True(body.TryAppend(Chunk(data.AsMemory(0, 500), end: false, data.Length)));
        Assert.True(body.TryAppend(Chunk(data.AsMemory(500), end: true, data.Length)));

        var read = new MemoryStream();
        await body.CopyToAsync(read);
        Assert.Equal(data.Length, read.Length);
        body.Dispose();
    }

    [Fact]
    public async Task ADiskThatRefusesTheSpill_BreaksTheBody_NotTheProtocol()
    {
        var files = new MockFileSystem();
        // No folder for the spill: writing it fails.
        var body = InboundBody.OneWay(100, new BodySpill(files, SpillPath));

        Assert.True(body.TryAppend(Chunk(new byte[200], end: false, 400)));

        var failure = await Assert.ThrowsAsync<StreamResetException>(() => body.CopyToAsync(Stream.Null));
        Assert.Equal(ResetReason.SourceFailed, failure.Reason);
        body.Dispose();
    }

    private static BodyChunk Chunk(ReadOnlyMemory<byte> raw, bool end, long total) =>
        new(raw, BodyCodec.None, raw.Length, raw.Length, end, total);
}
