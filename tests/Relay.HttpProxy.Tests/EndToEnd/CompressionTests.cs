using System.Net.Http.Headers;
using System.Text;
using Relay.Host.Configuration;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// Whatever a route's <c>Compression</c>, the caller gets the callee's bytes exactly; what changes is
/// how many bytes cross the folder.
/// </summary>
public sealed class CompressionTests : LosslessRelayTest
{
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(
        "[" + string.Join(',', Enumerable.Range(0, 40_000).Select(i => $"{{\"id\":{i},\"name\":\"customer {i % 113}\",\"paid\":{(i % 3 == 0 ? "true" : "false")}}}")) + "]");

    private protected override void ConfigureA(RelayOptions a)
    {
        foreach (var (prefix, compression) in new[] { ("/lz4/", RouteCompression.Lz4), ("/brotli/", RouteCompression.Brotli), ("/auto/", RouteCompression.Auto) })
        {
            a.Ingress!.Routes.Add(new IngressRouteOptions { PathPrefix = prefix, Peer = "site-b", Target = Callee.BaseUrl, Compression = compression });
        }

        a.Ingress!.AllowedCallbacks.Add(Callee.BaseUrl + "callback/");
    }

    [Theory]
    [InlineData("/raw/")]
    [InlineData("/lz4/")]
    [InlineData("/brotli/")]
    [InlineData("/auto/")]
    public async Task JsonThroughARoute_ReachesTheCallerByteForByte(string route)
    {
        var (echoed, _) = await EchoAsync(route, Json, encoding: null);

        Assert.Equal(Json, echoed);
    }

    [Theory]
    [InlineData("/lz4/")]
    [InlineData("/brotli/")]
    public async Task CompressingRoute_MovesFewerFileBytesThanARawOne(string route)
    {
        var (_, raw) = await EchoAsync("/raw/", Json, encoding: null);
        var (_, compressed) = await EchoAsync(route, Json, encoding: null);

        // Both directions carry the body: a third of the raw bytes is far above what either codec needs for this JSON.
        Assert.True(compressed < raw / 3, $"{route} wrote {compressed} file bytes, the raw route {raw}");
    }

    [Theory]
    [InlineData("/lz4/")]
    [InlineData("/brotli/")]
    public async Task ResponseKeptForACallback_IsDecodedFromTheKeptBlocks_ByteForByte(string route)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route + "echo/kept") { Content = new ByteArrayContent(Json) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var name = route.Trim('/');
        request.Headers.Add("Relay-Callback", Callee.BaseUrl + "callback/" + name);
        var before = FileBytesWritten();
        using var accepted = await Relay.Client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, accepted.StatusCode);

        var (headers, body) = await Callee.CallbackTo(name).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal("200", headers["Relay-Status"].ToString());
        Assert.Equal(Json, body);

        // Request and response together crossed in fewer bytes than one of them raw: the kept response was compressed.
        var crossed = FileBytesWritten() - before;
        Assert.True(crossed < Json.Length, $"{crossed} file bytes for two bodies of {Json.Length}");
    }

    [Fact]
    public async Task BodyTheCallerAlreadyEncoded_PassesThroughUntouched()
    {
        using var gzipped = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Json);
        }

        var (echoed, _) = await EchoAsync("/brotli/", gzipped.ToArray(), encoding: "gzip");

        Assert.Equal(gzipped.ToArray(), echoed);
    }

    // The body echoed, and the file bytes both nodes wrote for the exchange.
    private async Task<(byte[] Body, long FileBytes)> EchoAsync(string route, byte[] body, string? encoding)
    {
        var before = FileBytesWritten();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        using var response = await Relay.Client.PostAsync(route + "echo/json", content);
        response.EnsureSuccessStatusCode();
        var echoed = await response.Content.ReadAsByteArrayAsync();
        return (echoed, FileBytesWritten() - before);
    }

    private long FileBytesWritten() =>
        Relay.NodeA.GetStatus().Peers.Sum(p => p.FileBytesWritten) + Relay.NodeB.GetStatus().Peers.Sum(p => p.FileBytesWritten);
}
