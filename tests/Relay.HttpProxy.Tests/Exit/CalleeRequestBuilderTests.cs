using Relay.HttpProxy.Exit;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Exit;

/// <summary>The request the callee gets from a relayed head.</summary>
public sealed class CalleeRequestBuilderTests
{
    private static readonly Guid StreamId = Guid.Parse("0123456789abcdef0123456789abcdef");

    [Fact]
    public void Fields_AreKeptInOrder_WithRepeatsApart()
    {
        using var request = Build(Head(["X-A", "1", "Accept", "text/plain", "X-A", "2", "Cache-Control", "no-cache, max-age=0"]));

        Assert.Equal(["1", "2"], request.Headers.NonValidated["X-A"]);
        Assert.Equal(["text/plain"], request.Headers.NonValidated["Accept"]);
        Assert.Equal(["no-cache, max-age=0"], request.Headers.NonValidated["Cache-Control"]);
        var names = request.Headers.NonValidated.Select(h => h.Key).ToList();
        Assert.True(names.IndexOf("X-A") < names.IndexOf("Accept") && names.IndexOf("Accept") < names.IndexOf("Cache-Control"), string.Join(", ", names));
    }

    [Fact]
    public void HopByHopFields_AreNeverAdded()
    {
        // The head never carries them (the entry side strips them); the builder adds none of its own.
        using var request = Build(Head(["X-A", "1"]));

        foreach (var name in new[] { "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Upgrade", "Proxy-Connection", "Trailer" })
        {
            Assert.False(request.Headers.NonValidated.Contains(name), name);
        }

        Assert.Null(request.Headers.ConnectionClose);
        Assert.Null(request.Headers.TransferEncodingChunked);
    }

    [Fact]
    public void ForwardingChains_FromATrustedProxy_AreExtendedWithThisHop()
    {
        using var request = Build(Head(
            ["Forwarded", "for=192.0.2.1;proto=https", "X-Forwarded-For", "192.0.2.1", "Forwarded", "for=192.0.2.2", "X-Forwarded-For", "192.0.2.2",
             "X-Forwarded-Host", "spoofed.example", "X-Forwarded-Proto", "gopher"],
            caller: "198.51.100.7"));

        Assert.Equal(["for=192.0.2.1;proto=https, for=192.0.2.2, for=198.51.100.7;host=\"relay-a:8080\";proto=http"], request.Headers.NonValidated["Forwarded"]);
        Assert.Equal(["192.0.2.1, 192.0.2.2, 198.51.100.7"], request.Headers.NonValidated["X-Forwarded-For"]);
        Assert.Equal(["relay-a:8080"], request.Headers.NonValidated["X-Forwarded-Host"]);
        Assert.Equal(["http"], request.Headers.NonValidated["X-Forwarded-Proto"]);
    }

    [Fact]
    public void WithoutChains_ThisHopStartsThem_AndAnIPv6CallerIsQuoted()
    {
        using var request = Build(Head([], caller: "2001:db8::1"));

        Assert.Equal(["for=\"[2001:db8::1]\";host=\"relay-a:8080\";proto=http"], request.Headers.NonValidated["Forwarded"]);
        Assert.Equal(["2001:db8::1"], request.Headers.NonValidated["X-Forwarded-For"]);
    }

    [Fact]
    public void Expect_IsDropped()
    {
        using var request = Build(Head(["Expect", "100-continue", "X-A", "1"], body: 3), body: new MemoryStream([1, 2, 3]));

        Assert.False(request.Headers.NonValidated.Contains("Expect"));
        Assert.Null(request.Headers.ExpectContinue);
    }

    [Fact]
    public void ContentFields_AreOnTheContent_WithTheHeadsLength()
    {
        using var request = Build(Head(["Content-Type", "application/json", "Content-Language", "de", "X-A", "1"], body: 3), body: new MemoryStream([1, 2, 3]));

        Assert.NotNull(request.Content);
        Assert.Equal(["application/json"], request.Content.Headers.NonValidated["Content-Type"]);
        Assert.Equal(["de"], request.Content.Headers.NonValidated["Content-Language"]);
        Assert.Equal(3, request.Content.Headers.ContentLength);
        Assert.False(request.Headers.NonValidated.Contains("Content-Type"));
    }

    [Fact]
    public void WithoutABody_ThereIsNoContent()
    {
        using var request = Build(Head(["X-A", "1"]));

        Assert.Null(request.Content);
        Assert.Equal(HttpMethod.Get, request.Method);
        Assert.Equal(new Uri("http://callee.test/orders?x=1"), request.RequestUri);
    }

    [Fact]
    public void IdempotencyKey_IsTheStreams_WhenTheCallerSentNone()
    {
        using var request = Build(Head(["X-A", "1"]));

        Assert.Equal([$"\"{StreamId}\""], request.Headers.NonValidated["Idempotency-Key"]);
    }

    [Fact]
    public void IdempotencyKey_IsTheCallers_WhenItSentOne()
    {
        using var request = CalleeRequestBuilder.Build(Head(["Idempotency-Key", "\"mine\""]), StreamId, body: null, callerKey: "\"mine\"");

        Assert.Equal(["\"mine\""], request.Headers.NonValidated["Idempotency-Key"]);
    }

    private static HttpRequestMessage Build(RequestHead head, Stream? body = null) => CalleeRequestBuilder.Build(head, StreamId, body, callerKey: null);

    private static RequestHead Head(string[] namesAndValues, string? caller = "198.51.100.7", long? body = null) =>
        new(body is null ? "GET" : "POST", "http://callee.test/orders?x=1", HeaderList.FromNamesAndValues(namesAndValues), body, body is not null, 30_000, BodyCodec.None, caller, "relay-a:8080", "http");
}
