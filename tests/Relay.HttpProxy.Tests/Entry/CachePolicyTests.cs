using Microsoft.AspNetCore.Http;
using Relay.HttpProxy.Entry;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Entry;

public sealed class CachePolicyTests
{
    private static readonly TimeSpan RouteTtl = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(200, true)]
    [InlineData(203, true)]
    [InlineData(204, true)]
    [InlineData(404, true)]
    [InlineData(206, false)]
    [InlineData(201, false)]
    [InlineData(302, false)]
    [InlineData(500, false)]
    public void OnlyStatusesCacheableByDefault_AreKept(int status, bool kept) =>
        Assert.Equal(kept, CachePolicy.FreshnessOf(Head(status), requestHadAuthorization: false, RouteTtl) is not null);

    [Theory]
    [InlineData("Cache-Control", "no-store")]
    [InlineData("Cache-Control", "private")]
    [InlineData("Cache-Control", "public, no-cache")]
    [InlineData("Cache-Control", "max-age=0")]
    [InlineData("Set-Cookie", "session=1")]
    [InlineData("Vary", "Accept, *")]
    public void ResponsesThatForbidIt_AreNotKept(string name, string value) =>
        Assert.Null(CachePolicy.FreshnessOf(Head(200, (name, value)), requestHadAuthorization: false, RouteTtl));

    [Theory]
    [InlineData(null, false)]
    [InlineData("max-age=60", false)]
    [InlineData("public", true)]
    [InlineData("s-maxage=60", true)]
    [InlineData("must-revalidate", true)]
    public void ForARequestWithAuthorization_OnlyResponsesThatAllowSharing_AreKept(string? cacheControl, bool kept)
    {
        var head = cacheControl is null ? Head(200) : Head(200, ("Cache-Control", cacheControl));

        Assert.Equal(kept, CachePolicy.FreshnessOf(head, requestHadAuthorization: true, RouteTtl) is not null);
    }

    [Theory]
    [InlineData(null, 300)]
    [InlineData("max-age=60", 60)]
    [InlineData("max-age=3600", 300)]
    [InlineData("max-age=600, s-maxage=30", 30)]
    public void TheLifetime_IsTheRoutesShortenedByTheResponses(string? cacheControl, int seconds)
    {
        var head = cacheControl is null ? Head(200) : Head(200, ("Cache-Control", cacheControl));

        Assert.Equal(TimeSpan.FromSeconds(seconds), CachePolicy.FreshnessOf(head, requestHadAuthorization: false, RouteTtl));
    }

    [Fact]
    public void TheAgeAResponseArrivesWith_ComesOffItsMaxAge() =>
        Assert.Equal(TimeSpan.FromSeconds(40), CachePolicy.FreshnessOf(Head(200, ("Cache-Control", "max-age=60"), ("Age", "20")), requestHadAuthorization: false, RouteTtl));

    [Fact]
    public void Vary_NamesTheRequestHeaders_InOneOrder() =>
        Assert.Equal(["accept", "accept-language"], CachePolicy.VaryOf(Head(200, ("Vary", "Accept-Language"), ("Vary", "accept")))!);

    [Theory]
    [InlineData("GET", null, null, "Lookup")]
    [InlineData("HEAD", null, null, "Lookup")]
    [InlineData("POST", null, null, "None")]
    [InlineData("GET", "Cache-Control", "no-store", "None")]
    [InlineData("GET", "Range", "bytes=0-9", "None")]
    [InlineData("GET", "Cache-Control", "no-cache", "Refresh")]
    [InlineData("GET", "Cache-Control", "max-age=0", "Refresh")]
    [InlineData("GET", "Pragma", "no-cache", "Refresh")]
    public void Requests_UseTheCacheAsTheyAsk(string method, string? name, string? value, string expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        if (name is not null)
        {
            context.Request.Headers[name] = value;
        }

        Assert.Equal(Enum.Parse<CacheRequestUse>(expected), CachePolicy.Of(context.Request, new IngressRouteOptions { CacheTtl = RouteTtl }));
    }

    [Fact]
    public void ARouteWithoutATtl_CachesNothing()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";

        Assert.Equal(CacheRequestUse.None, CachePolicy.Of(context.Request, new IngressRouteOptions()));
    }

    private static ResponseHead Head(int status, params (string Name, string Value)[] headers) =>
        new(status, HeaderList.Create([.. headers.Select(h => new HeaderField(h.Name, h.Value))]), null);
}
