using Microsoft.AspNetCore.Http;
using Relay.HttpProxy.Entry;

namespace Relay.HttpProxy.Tests.Entry;

public sealed class OneWayPolicyTests
{
    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public void AWriteWithoutPreferences_NeedsNoResponse(string method) =>
        Assert.Null(OneWayPolicy.NeedsResponse(Request(method)));

    [Theory]
    [InlineData("Prefer", "handling=lenient")]
    [InlineData("Prefer", "respond-asynchronously")]
    [InlineData("Prefer", "waiting=5")]
    [InlineData("Expect", "100-continue")]
    [InlineData("Accept", "application/json, text/plain")]
    public void HeadersThatAskForNoResponse_AreSent(string name, string value) =>
        Assert.Null(OneWayPolicy.NeedsResponse(Request("POST", (name, value))));

    [Theory]
    [InlineData("Prefer", "respond-async", "respond-async")]
    [InlineData("Prefer", "handling=strict, RESPOND-ASYNC", "respond-async")]
    [InlineData("Prefer", "wait=30", "Prefer: wait=")]
    [InlineData("Prefer", " return=minimal; foo=bar", "Prefer: return=")]
    [InlineData("Relay-Callback", "http://127.0.0.1:7000/hooks", "Relay-Callback")]
    [InlineData("Accept", "application/json;q=0.5, text/event-stream", "event stream")]
    [InlineData("Upgrade", "websocket", "Upgrade")]
    public void HeadersThatAskForAResponse_AreRefused(string name, string value, string named)
    {
        var asked = OneWayPolicy.NeedsResponse(Request("POST", (name, value)));

        Assert.NotNull(asked);
        Assert.Contains(named, asked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    [InlineData("TRACE")]
    [InlineData("CONNECT")]
    public void MethodsWhoseOnlyResultIsTheResponse_AreRefused(string method) =>
        Assert.NotNull(OneWayPolicy.NeedsResponse(Request(method)));

    [Fact]
    public void PreferencesInSeveralFields_AreAllRead() =>
        Assert.NotNull(OneWayPolicy.NeedsResponse(Request("POST", ("Prefer", "handling=lenient"), ("Prefer", "wait=5"))));

    private static DefaultHttpContext Request(string method, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        return context;
    }
}
