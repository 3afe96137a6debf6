using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Relay.HttpProxy.Entry;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Entry;

public sealed class ResponseCacheTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void AnEntry_IsServedWithinItsLifetime_AndDroppedAfter()
    {
        var cache = new ResponseCache(1024, 4096, _time);
        cache.Store("/c/ a", [], new HeaderDictionary(), Response(10, TimeSpan.FromSeconds(30)));

        _time.Advance(TimeSpan.FromSeconds(29));
        var hit = cache.TryGet("/c/ a");

        Assert.NotNull(hit);
        Assert.Equal(29, hit.AgeSecondsAt(_time.GetUtcNow()));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(cache.TryGet("/c/ a"));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void TheAgeItArrivedWith_CountsInItsAge()
    {
        var response = Response(10, TimeSpan.FromSeconds(30)) with { InitialAge = TimeSpan.FromSeconds(5) };

        _time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(8, response.AgeSecondsAt(_time.GetUtcNow()));
    }

    [Fact]
    public void VariantsOfOneTarget_AreEntriesOfTheirOwn()
    {
        var cache = new ResponseCache(1024, 4096, _time);
        var json = new HeaderDictionary { ["Accept"] = "application/json" };
        var text = new HeaderDictionary { ["Accept"] = "text/plain" };
        cache.Store("/c/ a", ["accept"], json, Response(10, TimeSpan.FromMinutes(1)));
        cache.Store("/c/ a", ["accept"], text, Response(20, TimeSpan.FromMinutes(1)));

        Assert.Equal(10, cache.TryGet(cache.KeyFor("/c/ a", json))!.Body.Length);
        Assert.Equal(20, cache.TryGet(cache.KeyFor("/c/ a", text))!.Body.Length);
        Assert.Null(cache.TryGet(cache.KeyFor("/c/ a", new HeaderDictionary { ["Accept"] = "image/png" })));
    }

    [Fact]
    public void AResponseLargerThanAnEntryMayBe_IsNotKept()
    {
        var cache = new ResponseCache(100, 4096, _time);

        Assert.False(cache.Store("/c/ a", [], new HeaderDictionary(), Response(101, TimeSpan.FromMinutes(1))));
        Assert.Null(cache.TryGet("/c/ a"));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void PastTheTotal_TheLeastRecentlyUsedGoesFirst()
    {
        var cache = new ResponseCache(100, 300, _time);
        cache.Store("/c/ a", [], new HeaderDictionary(), Response(100, TimeSpan.FromMinutes(1)));
        cache.Store("/c/ b", [], new HeaderDictionary(), Response(100, TimeSpan.FromMinutes(1)));
        cache.Store("/c/ c", [], new HeaderDictionary(), Response(100, TimeSpan.FromMinutes(1)));
        Assert.NotNull(cache.TryGet("/c/ a"));

        cache.Store("/c/ d", [], new HeaderDictionary(), Response(100, TimeSpan.FromMinutes(1)));

        Assert.Null(cache.TryGet("/c/ b"));
        Assert.NotNull(cache.TryGet("/c/ a"));
        Assert.NotNull(cache.TryGet("/c/ c"));
        Assert.NotNull(cache.TryGet("/c/ d"));
        Assert.Equal(300, cache.Bytes);
    }

    [Fact]
    public async Task OneRequestPerKey_FetchesWhileTheOthersWait()
    {
        var cache = new ResponseCache(100, 300, _time);

        var (lead, none) = cache.JoinFill("/c/ a");
        var (notLead, waiting) = cache.JoinFill("/c/ a");
        var (otherKey, _) = cache.JoinFill("/c/ b");

        Assert.NotNull(lead);
        Assert.Null(none);
        Assert.Null(notLead);
        Assert.NotNull(otherKey);
        Assert.NotNull(waiting);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, cache.Waiting);
        lead.Dispose();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, cache.Waiting);
        Assert.NotNull(cache.JoinFill("/c/ a").Lead);
    }

    [Fact]
    public void AClaimEndedTwice_DoesNotEndTheNextOnesClaim()
    {
        var cache = new ResponseCache(100, 300, _time);
        var first = cache.JoinFill("/c/ a").Lead!;
        first.Dispose();
        using var second = cache.JoinFill("/c/ a").Lead!;

        first.Dispose();

        Assert.Null(cache.JoinFill("/c/ a").Lead);
    }

    [Fact]
    public void ACopyPastTheLimit_GivesUp()
    {
        using var capture = new CacheCapture(10);
        capture.Append(new byte[6]);
        Assert.True(capture.IsKeeping);

        capture.Append(new byte[5]);

        Assert.False(capture.IsKeeping);
        Assert.Empty(capture.ToArray());
    }

    [Fact]
    public void ACopyWithinTheLimit_KeepsEveryByte()
    {
        using var capture = new CacheCapture(100_000);
        var body = Enumerable.Range(0, 70_000).Select(i => (byte)i).ToArray();
        capture.Append(body.AsSpan(0, 30_000));
        capture.Append(body.AsSpan(30_000));

        Assert.Equal(body, capture.ToArray());
    }

    // Sizes count the body only: the responses carry no headers.
    private CachedResponse Response(int bodyBytes, TimeSpan freshFor) =>
        new(200, HeaderList.Empty, new byte[bodyBytes], _time.GetUtcNow(), TimeSpan.Zero, freshFor);
}
