using System.Buffers;
using System.Text;
using Relay.HttpProxy.Http;

namespace Relay.HttpProxy.Tests.Ingress;

public sealed class RequestHeadScannerTests
{
    // Bodies that look like heads: a scanner that read them as heads would give tokens to the wrong requests.
    private const string FakeHead = "GET /x HTTP/1.1\r\nConnection: X-Fake\r\n\r\n";
    private const string FakeChunk = "\r\nConnection: X-Also-Fake\r\n\r\n";

    private static readonly string Pipelined =
        $"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: {FakeHead.Length}\r\nConnection: keep-alive, X-One\r\n\r\n{FakeHead}"
        + $"POST /b?q=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n{FakeChunk.Length:x};ext=1\r\n{FakeChunk}\r\n0\r\nX-Trailer: t\r\n\r\n"
        + "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\nConnection: X-Two,  X-Three\r\n\r\n";

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void PipelinedRequests_WithBodiesThatLookLikeHeads_GiveEachHeadItsOwnTokens(int pieceLength)
    {
        var scanner = new RequestHeadScanner();
        var bytes = Encoding.Latin1.GetBytes(Pipelined);
        for (var offset = 0; offset < bytes.Length; offset += pieceLength)
        {
            scanner.Observe(new ReadOnlySequence<byte>(bytes, offset, Math.Min(pieceLength, bytes.Length - offset)));
        }

        Assert.Equal(["keep-alive", "X-One"], scanner.TakeFor("POST", "/a")!.Order(StringComparer.OrdinalIgnoreCase));
        Assert.Empty(scanner.TakeFor("POST", "/b?q=1")!);
        Assert.Equal(["close", "X-Three", "X-Two"], scanner.TakeFor("GET", "/c")!.Order(StringComparer.OrdinalIgnoreCase));
        Assert.True(scanner.IsFollowing);
    }

    [Fact]
    public void Http2Preface_StopsTheScanner()
    {
        var scanner = new RequestHeadScanner();
        scanner.Observe(new ReadOnlySequence<byte>("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray()));

        Assert.False(scanner.IsFollowing);
        Assert.Null(scanner.TakeFor("GET", "/"));
    }

    [Fact]
    public void RequestOutOfStep_IsNotGivenTokens_AndStopsTheScanner()
    {
        var scanner = new RequestHeadScanner();
        scanner.Observe(new ReadOnlySequence<byte>("GET /one HTTP/1.1\r\nConnection: X-A\r\n\r\nGET /two HTTP/1.1\r\n\r\n"u8.ToArray()));

        Assert.Null(scanner.TakeFor("GET", "/two"));
        Assert.False(scanner.IsFollowing);
    }

    [Fact]
    public void UpgradeRequest_IsReported_ThenTheScannerStops()
    {
        var scanner = new RequestHeadScanner();
        scanner.Observe(new ReadOnlySequence<byte>("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x85garbage"u8.ToArray()));

        Assert.Equal(["Upgrade"], scanner.TakeFor("GET", "/ws")!);
        Assert.False(scanner.IsFollowing);
    }

    [Fact]
    public void OversizedHead_StopsTheScanner()
    {
        var scanner = new RequestHeadScanner();
        scanner.Observe(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX-Big: " + new string('a', 70_000) + "\r\n\r\n")));

        Assert.False(scanner.IsFollowing);
    }
}
