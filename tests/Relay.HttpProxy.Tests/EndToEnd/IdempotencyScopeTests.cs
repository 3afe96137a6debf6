using System.Net;
using System.Text;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// A caller's <c>Idempotency-Key</c> is its own: kept responses are scoped by route and by the
/// caller's credentials, and a repeat must be the same request (method, target and body).
/// </summary>
public sealed class IdempotencyScopeTests : LosslessRelayTest
{
    [Fact]
    public async Task SameKey_WithOtherAuthorization_IsNotAnsweredFromTheFirstCallersResponse()
    {
        using var first = await SendAsync("/svc/echo/a", "order", "shared-1", "auth", request => request.Headers.Add("Authorization", "Bearer caller-a"));
        first.EnsureSuccessStatusCode();

        using var other = await SendAsync("/svc/echo/a", "order", "shared-1", "auth", request => request.Headers.Add("Authorization", "Bearer caller-b"));
        other.EnsureSuccessStatusCode();
        Assert.False(other.Headers.Contains("Relay-Replayed"));
        Assert.Equal(2, Callee.Arrivals["auth"]);

        // The first caller's own repeat is still answered from its kept response.
        using var repeat = await SendAsync("/svc/echo/a", "order", "shared-1", "auth", request => request.Headers.Add("Authorization", "Bearer caller-a"));
        Assert.Equal("true", repeat.Headers.GetValues("Relay-Replayed").Single());
        Assert.Equal(2, Callee.Arrivals["auth"]);
    }

    [Fact]
    public async Task SameKey_WithOtherCookie_OrWithoutCredentials_IsNotReplayed()
    {
        using var first = await SendAsync("/svc/echo/c", "order", "shared-2", "cookie", request => request.Headers.Add("Cookie", "session=alice"));
        using var other = await SendAsync("/svc/echo/c", "order", "shared-2", "cookie", request => request.Headers.Add("Cookie", "session=mallory"));
        using var none = await SendAsync("/svc/echo/c", "order", "shared-2", "cookie", _ => { });

        Assert.False(other.Headers.Contains("Relay-Replayed"));
        Assert.False(none.Headers.Contains("Relay-Replayed"));
        Assert.Equal(3, Callee.Arrivals["cookie"]);
    }

    [Fact]
    public async Task SameKey_OnAnotherRoute_IsNotReplayed()
    {
        using var first = await SendAsync("/svc/echo/r", "order", "shared-3", "route", _ => { });
        using var other = await SendAsync("/raw/echo/r", "order", "shared-3", "route", _ => { });

        Assert.False(other.Headers.Contains("Relay-Replayed"));
        Assert.Equal(2, Callee.Arrivals["route"]);
    }

    [Fact]
    public async Task SameKey_WithAnotherBody_Is422_AndTheCalleeIsNotCalled()
    {
        using var first = await SendAsync("/svc/echo/b", "one order", "body-1", "body", _ => { });
        first.EnsureSuccessStatusCode();

        using var other = await SendAsync("/svc/echo/b", "another order", "body-1", "body", _ => { });

        var problem = await Problem.AssertAsync(other, 422, "idempotency-key-reused");
        Assert.Contains("different body", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, Callee.Arrivals["body"]);
    }

    [Fact]
    public async Task StreamedBody_IsComparedWhole()
    {
        // Several chunks: the body streams behind the head rather than riding in it.
        var body = new string('x', 3 * 1024 * 1024);
        var changed = body[..^1] + "y";
        using var first = await SendAsync("/svc/echo/s", body, "stream-1", "stream", _ => { });
        first.EnsureSuccessStatusCode();

        using var same = await SendAsync("/svc/echo/s", body, "stream-1", "stream", _ => { });
        Assert.Equal("true", same.Headers.GetValues("Relay-Replayed").Single());
        Assert.Equal(body, await same.Content.ReadAsStringAsync());

        using var other = await SendAsync("/svc/echo/s", changed, "stream-1", "stream", _ => { });
        await Problem.AssertAsync(other, 422, "idempotency-key-reused");
        Assert.Equal(1, Callee.Arrivals["stream"]);
    }

    [Fact]
    public async Task SameKey_WithAnotherTarget_Is422()
    {
        using var first = await SendAsync("/svc/echo/t1", "x", "target-1", "target", _ => { });
        using var other = await SendAsync("/svc/echo/t2", "x", "target-1", "target", _ => { });

        var problem = await Problem.AssertAsync(other, 422, "idempotency-key-reused");
        Assert.Contains("different method or target", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string path, string body, string key, string tag, Action<HttpRequestMessage> configure)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Headers.Add("X-Tag", tag);
        request.Headers.Add("Idempotency-Key", $"\"{key}\"");
        configure(request);
        return await Relay.Client.SendAsync(request);
    }
}
