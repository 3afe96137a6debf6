using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Relay.HttpProxy.Async;

namespace Relay.HttpProxy.Entry;

/// <summary>
/// Which requests a one-way route refuses: those that need a response, since the link carries
/// nothing back. Read from the request head alone, so the refusal comes before any body is read.
/// </summary>
/// <remarks>
/// A request needs a response when its caller asks for one explicitly or when a response is all it
/// can have:
/// <list type="bullet">
/// <item><c>Relay-Callback</c> or <c>Prefer: respond-async</c>: a response delivered or kept later;</item>
/// <item><c>Prefer: wait=…</c> or <c>Prefer: return=…</c>: the caller says how long it will wait for the
/// response or what the response should hold, so it means to be held for it;</item>
/// <item><c>Accept: text/event-stream</c>: an event stream is nothing but response;</item>
/// <item><c>Upgrade</c> (WebSocket and the like) or <c>CONNECT</c>: a conversation both ways;</item>
/// <item>GET, HEAD, OPTIONS and TRACE: safe methods, whose only effect is their response.</item>
/// </list>
/// <c>Expect: 100-continue</c> is not among them: it asks whether the body is welcome, which the entry
/// node answers itself by reading it. Any other request is sent and answered 202.
/// </remarks>
internal static class OneWayPolicy
{
    /// <summary>What in the request needs a response, in words for its problem; null when nothing does.</summary>
    public static string? NeedsResponse(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (request.Headers.ContainsKey(AsyncRequests.CallbackHeader))
        {
            return "a callback (Relay-Callback)";
        }

        foreach (var preference in PreferenceNames(request.Headers["Prefer"]))
        {
            if (preference.Equals("respond-async", StringComparison.OrdinalIgnoreCase))
            {
                return "a response to poll for (Prefer: respond-async)";
            }

            if (preference.Equals("wait", StringComparison.OrdinalIgnoreCase) || preference.Equals("return", StringComparison.OrdinalIgnoreCase))
            {
                return $"a held response (Prefer: {preference.ToLowerInvariant()}=…)";
            }
        }

        if (request.Headers.Accept.Any(accept => accept is not null && accept.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase)))
        {
            return "an event stream (Accept: text/event-stream)";
        }

        if (HttpMethods.IsConnect(request.Method) || request.Headers.ContainsKey(HeaderNames.Upgrade))
        {
            return "a protocol upgrade or tunnel (Upgrade, WebSocket, CONNECT)";
        }

        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        {
            return $"the response to a {request.Method.ToUpperInvariant()}, whose only effect is its response";
        }

        return null;
    }

    // Prefer: name[=value][;parameter], comma-separated, in one or more fields (RFC 7240).
    private static IEnumerable<string> PreferenceNames(Microsoft.Extensions.Primitives.StringValues fields)
    {
        foreach (var field in fields)
        {
            if (field is null)
            {
                continue;
            }

            foreach (var preference in field.Split(','))
            {
                var name = preference.Split('=', ';')[0].Trim();
                if (name.Length > 0)
                {
                    yield return name;
                }
            }
        }
    }
}
