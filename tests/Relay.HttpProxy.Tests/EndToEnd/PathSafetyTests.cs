using Relay.Host.Configuration;
using Relay.HttpProxy.Exit;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>Paths that a callee would decode into another path never reach it; allowlists and callbacks are matched on the decoded path.</summary>
public sealed class PathSafetyTests : LosslessRelayTest
{
    private protected override string TargetOf(TestCallee callee) => callee.BaseUrl + "echo/pub/";

    private protected override void ConfigureA(RelayOptions a) => a.Ingress!.AllowedCallbacks.Add(Callee.BaseUrl + "callback/hooks/");

    [Theory]
    [InlineData("/svc/..%2fprivate.txt")]
    [InlineData("/svc/..%2Fprivate.txt")]
    [InlineData("/svc/%2e%2e%2fprivate.txt")]
    [InlineData("/svc/%252e%252e%252fprivate.txt")]
    [InlineData("/svc/..%5cprivate.txt")]
    [InlineData("/svc/%2e%2e/private.txt")]
    public async Task EncodedTraversal_Is400Problem_AndNeverReachesTheCallee(string path)
    {
        var (head, body) = await RawHttp.SendAsync(Relay.Ingress, $"GET {path} HTTP/1.1\r\nHost: relay.test\r\nX-Tag: t\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400 ", head, StringComparison.Ordinal);
        Assert.Contains("urn:relay:problem:unsafe-path", body, StringComparison.Ordinal);
        Assert.True(Callee.Arrivals.IsEmpty, "the callee was called");
    }

    [Fact]
    public async Task EncodedNul_Is400_AndNeverReachesTheCallee()
    {
        // Kestrel refuses a decoded NUL itself, before the relay sees the request; the relay's own check is the second line.
        var (head, _) = await RawHttp.SendAsync(Relay.Ingress, "GET /svc/a%00b HTTP/1.1\r\nHost: relay.test\r\nX-Tag: t\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400 ", head, StringComparison.Ordinal);
        Assert.True(Callee.Arrivals.IsEmpty, "the callee was called");
        Assert.Equal("it has a NUL", Http.PathSafety.Problem("/svc/a%00b"));
    }

    [Fact]
    public async Task OrdinaryEncodedPath_StillPasses()
    {
        var (head, _) = await RawHttp.SendAsync(Relay.Ingress, "GET /svc/a%20b?next=%2Fx HTTP/1.1\r\nHost: relay.test\r\nX-Tag: ok\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 ", head, StringComparison.Ordinal);
        Assert.Equal(1, Callee.ExecutionsOf("ok"));
    }

    [Fact]
    public async Task CallbackWithAnEncodedTraversal_IsNotAllowed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/svc/x") { Content = new StringContent("x") };
        request.Headers.TryAddWithoutValidation("Relay-Callback", Callee.BaseUrl + "callback/hooks/..%2fx");

        using var response = await Relay.Client.SendAsync(request);

        await Problem.AssertAsync(response, 403, "callback-not-allowed");
    }

    [Theory]
    [InlineData("http://callee.test/pub/..%2fprivate.txt")]
    [InlineData("http://callee.test/pub/%2e%2e%2fprivate.txt")]
    [InlineData("http://callee.test/pub/%252e%252e%252fprivate.txt")]
    public void ExitAllowList_RefusesTargetsThatDecodeOutsideTheBase(string target)
    {
        var allowed = new TargetAllowList(["http://callee.test/pub/"]);

        Assert.False(allowed.IsAllowed(target));
        Assert.True(allowed.IsAllowed("http://callee.test/pub/file.txt"));
    }
}
