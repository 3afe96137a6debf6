using Microsoft.Extensions.Primitives;
using Relay.HttpProxy.Http;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Tests.Ingress;

/// <summary>Which header fields cross the relay.</summary>
public sealed class HeaderRulesTests
{
    [Theory]
    [InlineData("Connection")]
    [InlineData("keep-alive")]
    [InlineData("Proxy-Connection")]
    [InlineData("TE")]
    [InlineData("Trailer")]
    [InlineData("Transfer-Encoding")]
    [InlineData("Upgrade")]
    [InlineData("Proxy-Authenticate")]
    [InlineData("Proxy-Authorization")]
    [InlineData("HTTP2-Settings")]
    [InlineData("Alt-Svc")]
    public void HopByHop_IsExcluded_InAnyCase(string name)
    {
        Assert.True(HeaderRules.IsExcluded(name, null));
        Assert.True(HeaderRules.IsExcluded(name.ToUpperInvariant(), null));
    }

    [Theory]
    [InlineData(":authority")]
    [InlineData(":path")]
    public void PseudoHeaders_AreExcluded(string name) => Assert.True(HeaderRules.IsExcluded(name, null));

    [Fact]
    public void ContentLength_IsExcluded_ItTravelsOnItsOwn() => Assert.True(HeaderRules.IsExcluded("content-length", null));

    [Theory]
    [InlineData("Content-Type")]
    [InlineData("Authorization")]
    [InlineData("Cache-Control")]
    [InlineData("X-Custom")]
    public void EndToEndFields_Cross(string name) => Assert.False(HeaderRules.IsExcluded(name, null));

    [Fact]
    public void ConnectionListedNames_AreExcluded_FromEveryValue_TrimmedAndWithoutCase()
    {
        var listed = HeaderRules.ConnectionListed(new StringValues(["close, X-Hop ", "x-other,,"]));

        Assert.NotNull(listed);
        Assert.True(HeaderRules.IsExcluded("X-Hop", listed));
        Assert.True(HeaderRules.IsExcluded("X-OTHER", listed));
        Assert.False(HeaderRules.IsExcluded("X-Kept", listed));
        Assert.DoesNotContain("", listed);
    }

    [Fact]
    public void NoConnectionHeader_ListsNothing() => Assert.Null(HeaderRules.ConnectionListed(StringValues.Empty));

    [Fact]
    public void Flatten_KeepsOrderAndRepeats_AndDropsExcludedAndConnectionListed()
    {
        var flat = HeaderRules.Flatten(
            [
                new("X-A", new StringValues(["1", "2"])),
                new("Connection", "X-Hop"),
                new("X-Hop", "gone"),
                new("Content-Length", "3"),
                new("Transfer-Encoding", "chunked"),
                new("Accept", "text/plain"),
                new("X-Drop", "also"),
            ],
            "X-Hop",
            "X-Drop");

        Assert.Equal(HeaderList.FromNamesAndValues(["X-A", "1", "X-A", "2", "Accept", "text/plain"]), flat);
    }
}
