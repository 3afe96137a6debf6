using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// Header fields as they are on the wire: hop-by-hop ones dropped by every token of every
/// <c>Connection</c> line, forwarding headers only from trusted proxies, the callee's field lines carried unchanged.
/// </summary>
public sealed class HeaderFidelityTests : IAsyncLifetime, IDisposable
{
    private const string CalleeResponse =
        "HTTP/1.1 200 OK\r\n"
        + "Server: Python/3.11 aiohttp/3.8.4\r\n"
        + "Cache-Control: no-store, no-cache, must-revalidate, private\r\n"
        + "Set-Cookie: a=1; Path=/\r\n"
        + "Set-Cookie: b=2; Path=/\r\n"
        + "X-Multi: first\r\n"
        + "X-Multi: second\r\n"
        + "Alt-Svc: h3=\":443\"\r\n"
        + "Content-Type: text/plain\r\n"
        + "Content-Length: 2\r\n"
        + "X-Hop: this hop only\r\n"
        + "Connection: close, X-Hop\r\n"
        + "\r\n"
        + "ok";

    private readonly TemporaryFolder _folder = new();
    private RawHttp _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = RawHttp.Serve(CalleeResponse);
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task HopByHopHeaders_AreDropped_IncludingHttp2SettingsAndProxyFeatures()
    {
        await RawHttp.SendAsync(_relay.Ingress, Request("/svc/c", "X-Kept: k", "HTTP2-Settings: AAMAAABkAAQAAP__", "Proxy-Features: x", "Keep-Alive: timeout=5"));

        var seen = Assert.Single(_callee.RequestHeads);
        Assert.DoesNotContain("HTTP2-Settings", seen, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Proxy-Features", seen, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Keep-Alive", seen, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Kept: k\r\n", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryTokenOfEveryConnectionLine_IsDropped_OnEachRequestOfAConnection()
    {
        // Kestrel alone hands over "keep-alive" for the first line; the body of the first request looks like a head on purpose.
        const string lookalike = "\r\nConnection: X-Kept\r\n\r\n";
        var first = $"POST /svc/k1 HTTP/1.1\r\nHost: relay.test\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, X-Secret\r\nConnection: X-Other\r\n"
            + $"X-Secret: s\r\nX-Other: o\r\nX-Kept: k\r\n\r\n{lookalike.Length:x}\r\n{lookalike}\r\n0\r\n\r\n";
        var second = Request("/svc/k2", "Connection: X-Kept, keep-alive", "X-Kept: gone", "X-Secret: stays");

        var responses = await RawHttp.SendOnOneConnectionAsync(_relay.Ingress, first, second);

        Assert.All(responses, response => Assert.StartsWith("HTTP/1.1 200 ", response.Head, StringComparison.Ordinal));
        var seen = _callee.RequestHeads.ToArray();
        Assert.Equal(2, seen.Length);
        Assert.DoesNotContain("X-Secret", seen[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("X-Other", seen[0], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Kept: k\r\n", seen[0], StringComparison.Ordinal);
        Assert.DoesNotContain("X-Kept", seen[1], StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Secret: stays\r\n", seen[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallersForwardingHeaders_AreReplacedByTheEntryNodesOwn()
    {
        await RawHttp.SendAsync(_relay.Ingress, Request("/svc/f",
            "X-Forwarded-Proto: https", "X-Forwarded-Host: evil.example", "X-Forwarded-For: 6.6.6.6", "Forwarded: for=6.6.6.6;proto=https", "X-Real-IP: 6.6.6.6"));

        var seen = Assert.Single(_callee.RequestHeads);
        const string authority = "relay.test";
        Assert.Contains("X-Forwarded-Proto: http\r\n", seen, StringComparison.Ordinal);
        Assert.Contains($"X-Forwarded-Host: {authority}\r\n", seen, StringComparison.Ordinal);
        Assert.Contains("X-Forwarded-For: 127.0.0.1\r\n", seen, StringComparison.Ordinal);
        Assert.Contains($"Forwarded: for=127.0.0.1;host=\"{authority}\";proto=http\r\n", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("6.6.6.6", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustedProxy_ContributesItsChainHostAndScheme()
    {
        await _relay.DisposeAsync();
        using var folder = new TemporaryFolder();
        _relay = await RelayPair.StartAsync(folder, _callee.BaseUrl, FaultProfile.Lossless, a => a.Ingress!.TrustedProxies.Add("127.0.0.0/8"));

        await RawHttp.SendAsync(_relay.Ingress, Request("/svc/t",
            "X-Forwarded-Proto: https", "X-Forwarded-Host: api.example", "X-Forwarded-For: 203.0.113.9", "Forwarded: for=203.0.113.9;proto=https"));

        var seen = Assert.Single(_callee.RequestHeads);
        Assert.Contains("X-Forwarded-Proto: https\r\n", seen, StringComparison.Ordinal);
        Assert.Contains("X-Forwarded-Host: api.example\r\n", seen, StringComparison.Ordinal);
        Assert.Contains("X-Forwarded-For: 203.0.113.9, 127.0.0.1\r\n", seen, StringComparison.Ordinal);
        Assert.Contains("Forwarded: for=203.0.113.9;proto=https, for=127.0.0.1;host=\"api.example\";proto=https\r\n", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CalleesFieldLines_ReachTheCallerUnchanged()
    {
        var (head, body) = await RawHttp.SendAsync(_relay.Ingress, Request("/svc/r"));

        Assert.Equal("ok", body);
        var lines = head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["Server: Python/3.11 aiohttp/3.8.4"], lines.Where(l => l.StartsWith("Server:", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal(["Cache-Control: no-store, no-cache, must-revalidate, private"], lines.Where(l => l.StartsWith("Cache-Control:", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal(["Set-Cookie: a=1; Path=/", "Set-Cookie: b=2; Path=/"], lines.Where(l => l.StartsWith("Set-Cookie:", StringComparison.OrdinalIgnoreCase)));
        Assert.Equal(["X-Multi: first", "X-Multi: second"], lines.Where(l => l.StartsWith("X-Multi:", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(lines, l => l.StartsWith("Alt-Svc:", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(lines, l => l.StartsWith("X-Hop:", StringComparison.OrdinalIgnoreCase));
    }

    private static string Request(string path, params string[] headers) =>
        $"GET {path} HTTP/1.1\r\nHost: relay.test\r\n{string.Concat(headers.Select(h => h + "\r\n"))}\r\n";
}
