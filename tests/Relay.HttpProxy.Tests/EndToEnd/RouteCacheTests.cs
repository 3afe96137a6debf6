using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Relay.Host.Configuration;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>The entry node's TTL cache for polled GETs (<c>Ingress:Routes:N:CacheTtl</c>), through real nodes and a real callee.</summary>
public sealed class RouteCacheTests : LosslessRelayTest
{
    private const int MaxEntryBytes = 64 * 1024;
    private static readonly TimeSpan ShortTtl = TimeSpan.FromSeconds(1);

    private protected override void ConfigureA(RelayOptions a)
    {
        var target = Callee.BaseUrl;
        a.Ingress!.Routes.Add(new IngressRouteOptions { PathPrefix = "/cached/", Peer = "site-b", Target = target, CacheTtl = TimeSpan.FromMinutes(10) });
        a.Ingress.Routes.Add(new IngressRouteOptions { PathPrefix = "/briefly/", Peer = "site-b", Target = target, CacheTtl = ShortTtl });
        a.Ingress.CacheMaxEntryBytes = MaxEntryBytes;
        a.Ingress.CacheMaxBytes = 100_000;
    }

    [Fact]
    public async Task ASecondGetWithinTheTtl_IsAnsweredHere_AndAHeadFromIt()
    {
        using var first = await Relay.Client.GetAsync("/cached/cacheable/poll");
        using var second = await Relay.Client.GetAsync("/cached/cacheable/poll");
        using var head = await Relay.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/cached/cacheable/poll"));

        Assert.Equal(1, Callee.CacheableArrivalsOf("poll"));
        Assert.Equal("miss", CacheStatus(first));
        Assert.Null(first.Headers.Age);
        Assert.Equal("hit", CacheStatus(second));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(second.Headers.Age >= TimeSpan.Zero);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; charset=utf-8", second.Content.Headers.ContentType?.ToString());
        Assert.Equal("hit", CacheStatus(head));
        Assert.Equal(second.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        var status = Relay.NodeA.GetStatus();
        Assert.Equal(2, status.CacheHits);
        Assert.Equal(1, status.CacheMisses);
        Assert.True(status.CacheBytes > 0);
    }

    [Fact]
    public async Task AfterTheTtl_TheNextGetGoesOverTheLinkAgain()
    {
        var watch = Stopwatch.StartNew();
        using (var first = await Relay.Client.GetAsync("/briefly/cacheable/expiring"))
        {
            Assert.Equal("miss", CacheStatus(first));
        }

        // Waits for the entry to expire: polls until a response comes over the link again.
        var misses = await PollUntilMissAsync("/briefly/cacheable/expiring");

        Assert.True(watch.Elapsed >= ShortTtl, $"a miss came {watch.Elapsed} after the first response, within the TTL");
        Assert.Equal(2, Callee.CacheableArrivalsOf("expiring"));
        Assert.Contains("#2", misses, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMaxAgeShorterThanTheTtl_Wins()
    {
        var watch = Stopwatch.StartNew();
        using (var first = await Relay.Client.GetAsync("/cached/cacheable/short?cc=max-age%3D1"))
        {
            Assert.Equal("miss", CacheStatus(first));
        }

        await PollUntilMissAsync("/cached/cacheable/short?cc=max-age%3D1");

        // The route keeps responses for ten minutes: only the response's max-age ends it this soon.
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1));
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(10));
        Assert.Equal(2, Callee.CacheableArrivalsOf("short"));
    }

    [Theory]
    [InlineData("no-store", "?cc=no-store")]
    [InlineData("private", "?cc=private,max-age%3D60")]
    [InlineData("cookie", "?cookie=1")]
    [InlineData("vary-any", "?vary=*")]
    [InlineData("created", "?status=201")]
    public async Task ResponsesThatMustNotBeShared_AreNotCached(string tag, string query)
    {
        using var first = await Relay.Client.GetAsync($"/cached/cacheable/{tag}{query}");
        using var second = await Relay.Client.GetAsync($"/cached/cacheable/{tag}{query}");

        Assert.Equal(2, Callee.CacheableArrivalsOf(tag));
        Assert.Equal("miss", CacheStatus(first));
        Assert.Equal("miss", CacheStatus(second));
        Assert.Contains("#2", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestsWithAuthorization_AreCachedOnlyWhenTheResponseIsPublic()
    {
        await GetAuthorizedAsync("/cached/cacheable/auth");
        await GetAuthorizedAsync("/cached/cacheable/auth");
        await GetAuthorizedAsync("/cached/cacheable/auth-public?cc=public");
        using var second = await GetAuthorizedAsync("/cached/cacheable/auth-public?cc=public");

        Assert.Equal(2, Callee.CacheableArrivalsOf("auth"));
        Assert.Equal(1, Callee.CacheableArrivalsOf("auth-public"));
        Assert.Equal("hit", CacheStatus(second));
    }

    [Fact]
    public async Task ARequestWithNoCache_GoesOverTheLink_AndRefreshesTheEntry()
    {
        (await Relay.Client.GetAsync("/cached/cacheable/refresh")).Dispose();
        using var refresh = new HttpRequestMessage(HttpMethod.Get, "/cached/cacheable/refresh");
        refresh.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        using var refreshed = await Relay.Client.SendAsync(refresh);
        using var after = await Relay.Client.GetAsync("/cached/cacheable/refresh");

        Assert.Equal("miss", CacheStatus(refreshed));
        Assert.Equal("hit", CacheStatus(after));
        Assert.Equal(2, Callee.CacheableArrivalsOf("refresh"));
        Assert.Contains("#2", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARequestWithNoStore_NeitherUsesNorFillsTheCache()
    {
        using var noStore = new HttpRequestMessage(HttpMethod.Get, "/cached/cacheable/nostore");
        noStore.Headers.CacheControl = new CacheControlHeaderValue { NoStore = true };
        (await Relay.Client.SendAsync(noStore)).Dispose();
        using var after = await Relay.Client.GetAsync("/cached/cacheable/nostore");

        Assert.Equal("miss", CacheStatus(after));
        Assert.Equal(2, Callee.CacheableArrivalsOf("nostore"));
    }

    [Fact]
    public async Task VaryingResponses_AreKeptPerValueOfTheNamedHeaders()
    {
        var json1 = await GetWithAcceptAsync("application/json");
        var text1 = await GetWithAcceptAsync("text/plain");
        var json2 = await GetWithAcceptAsync("application/json");
        var text2 = await GetWithAcceptAsync("text/plain");

        Assert.Equal(2, Callee.CacheableArrivalsOf("vary"));
        Assert.Equal(("miss", "vary #1 for application/json"), json1);
        Assert.Equal(("miss", "vary #2 for text/plain"), text1);
        Assert.Equal(("hit", "vary #1 for application/json"), json2);
        Assert.Equal(("hit", "vary #2 for text/plain"), text2);
    }

    [Fact]
    public async Task ConcurrentMisses_SendOneRequestOverTheLink()
    {
        const int callers = 5;
        var responses = Enumerable.Range(0, callers).Select(_ => Relay.Client.GetAsync("/cached/cacheable/herd?gate=1")).ToArray();
        Assert.True(await Callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)), "no request reached the callee");
        await WaitForWaitingAsync(callers - 1);

        Callee.GateOpen.TrySetResult();
        var answered = await Task.WhenAll(responses);

        Assert.Equal(1, Callee.CacheableArrivalsOf("herd"));
        Assert.All(answered, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(1, answered.Count(response => CacheStatus(response) == "miss"));
        Assert.Equal(callers - 1, answered.Count(response => CacheStatus(response) == "hit"));
        foreach (var response in answered)
        {
            Assert.Equal("herd #1 for ", await response.Content.ReadAsStringAsync());
            response.Dispose();
        }
    }

    [Fact]
    public async Task ConcurrentMisses_WhoseAnswerIsNotKept_GoOverTheLinkThemselves()
    {
        var first = Relay.Client.GetAsync("/cached/cacheable/herd-uncached?gate=1&cc=no-store");
        Assert.True(await Callee.GateArrived.WaitAsync(TimeSpan.FromSeconds(30)), "no request reached the callee");
        var second = Relay.Client.GetAsync("/cached/cacheable/herd-uncached?gate=1&cc=no-store");
        await WaitForWaitingAsync(1);

        Callee.GateOpen.TrySetResult();
        using var firstResponse = await first;
        using var secondResponse = await second;

        Assert.Equal(2, Callee.CacheableArrivalsOf("herd-uncached"));
        Assert.Equal("miss", CacheStatus(firstResponse));
        Assert.Equal("miss", CacheStatus(secondResponse));
        Assert.Equal("herd-uncached #2 for ", await secondResponse.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AResponseLargerThanAnEntry_IsDeliveredWhole_AndNotCached()
    {
        const int length = 4 * MaxEntryBytes;
        var expected = new byte[length];
        TestCallee.FillPattern(expected, 0);

        using var first = await Relay.Client.GetAsync($"/cached/cacheable/large?bytes={length}");
        using var second = await Relay.Client.GetAsync($"/cached/cacheable/large?bytes={length}");

        Assert.Equal(expected, await first.Content.ReadAsByteArrayAsync());
        Assert.Equal(expected, await second.Content.ReadAsByteArrayAsync());
        Assert.Equal("miss", CacheStatus(second));
        Assert.Equal(2, Callee.CacheableArrivalsOf("large"));
        Assert.Equal(0, Relay.NodeA.GetStatus().CacheBytes);
    }

    [Fact]
    public async Task PastCacheMaxBytes_TheLeastRecentlyUsedIsEvicted()
    {
        // Three of these fit in the 100 000 bytes, four do not.
        foreach (var tag in new[] { "lru-a", "lru-b", "lru-c" })
        {
            (await Relay.Client.GetAsync($"/cached/cacheable/{tag}?bytes=30000")).Dispose();
        }

        using (var touched = await Relay.Client.GetAsync("/cached/cacheable/lru-a?bytes=30000"))
        {
            Assert.Equal("hit", CacheStatus(touched));
        }

        (await Relay.Client.GetAsync("/cached/cacheable/lru-d?bytes=30000")).Dispose();

        foreach (var tag in new[] { "lru-a", "lru-c", "lru-d" })
        {
            using var kept = await Relay.Client.GetAsync($"/cached/cacheable/{tag}?bytes=30000");
            Assert.Equal("hit", CacheStatus(kept));
        }

        using var evicted = await Relay.Client.GetAsync("/cached/cacheable/lru-b?bytes=30000");
        Assert.Equal("miss", CacheStatus(evicted));
        Assert.Equal(2, Callee.CacheableArrivalsOf("lru-b"));
        Assert.True(Relay.NodeA.GetStatus().CacheBytes <= 100_000);
    }

    [Fact]
    public async Task ARouteWithoutATtl_SaysNothingAboutTheCache()
    {
        using var first = await Relay.Client.GetAsync("/svc/cacheable/uncached");
        using var second = await Relay.Client.GetAsync("/svc/cacheable/uncached");

        Assert.False(second.Headers.Contains("X-Cache"));
        Assert.Equal(2, Callee.CacheableArrivalsOf("uncached"));
    }

    private static string? CacheStatus(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;

    private async Task<HttpResponseMessage> GetAuthorizedAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "token");
        var response = await Relay.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return response;
    }

    private async Task<(string? Cache, string Body)> GetWithAcceptAsync(string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/cached/cacheable/vary?vary=Accept");
        request.Headers.Accept.ParseAdd(accept);
        using var response = await Relay.Client.SendAsync(request);
        return (CacheStatus(response), await response.Content.ReadAsStringAsync());
    }

    // Until that many requests are at the entry node, waiting for another's answer.
    private async Task WaitForWaitingAsync(int count)
    {
        var cache = Relay.NodeA.Relay.Cache!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (cache.Waiting < count)
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    private async Task<string> PollUntilMissAsync(string path)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await Relay.Client.GetAsync(path, deadline.Token);
            if (CacheStatus(response) == "miss")
            {
                return await response.Content.ReadAsStringAsync(deadline.Token);
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}
