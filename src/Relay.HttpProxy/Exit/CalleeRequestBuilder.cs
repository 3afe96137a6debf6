using System.Net;
using Microsoft.Net.Http.Headers;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// Turns a relayed request head into the request the callee gets: the target as the entry side
/// resolved it, the caller's fields in their order (hop-by-hop ones never crossed), this hop added to
/// the forwarding chains, a per-request <c>Idempotency-Key</c> when the caller sent none, and the body
/// streamed from the link.
/// </summary>
internal static class CalleeRequestBuilder
{
    /// <param name="head">The relayed head.</param>
    /// <param name="streamId">The stream, which names the relay's own idempotency key.</param>
    /// <param name="body">The request body as it arrives, or null when the head says there is none.</param>
    /// <param name="callerKey">The caller's <c>Idempotency-Key</c>, or null when it sent none.</param>
    public static HttpRequestMessage Build(RequestHead head, Guid streamId, Stream? body, string? callerKey)
    {
        ArgumentNullException.ThrowIfNull(head);
        var request = new HttpRequestMessage(new HttpMethod(head.Method), head.Target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (head.HasBody && body is not null)
        {
            // Before the fields, so content fields (Content-Type and the like) land on it.
            request.Content = new StreamContent(body, 64 * 1024) { Headers = { ContentLength = head.ContentLength } };
        }

        string? forwardedFor = null;
        string? forwarded = null;
        foreach (var field in head.Headers)
        {
            // Host and scheme are set from the head below, never appended to what came (a trusted proxy's view is already in the head).
            // Expect is this relay's business with the caller: the body is already on its way.
            if (IsOneOf(field.Name, HeaderNames.Expect, "X-Forwarded-Host", "X-Forwarded-Proto"))
            {
                continue;
            }

            // A chain only a trusted proxy's headers can have started: this hop is added to its end.
            if (IsOneOf(field.Name, "X-Forwarded-For"))
            {
                forwardedFor = forwardedFor is null ? field.Value : forwardedFor + ", " + field.Value;
                continue;
            }

            if (IsOneOf(field.Name, "Forwarded"))
            {
                forwarded = forwarded is null ? field.Value : forwarded + ", " + field.Value;
                continue;
            }

            HeaderList.AddField(request, field.Name, field.Value);
        }

        // RFC 7239 and the de facto X-Forwarded-* set: who called, and how.
        var caller = head.CallerAddress;
        var forNode = caller is null ? "unknown" : caller.Contains(':', StringComparison.Ordinal) ? $"\"[{caller}]\"" : caller;
        var thisHop = $"for={forNode};host=\"{head.CallerHost}\";proto={head.CallerScheme}";
        request.Headers.TryAddWithoutValidation("Forwarded", forwarded is null ? thisHop : $"{forwarded}, {thisHop}");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", caller is null ? forwardedFor : forwardedFor is null ? caller : $"{forwardedFor}, {caller}");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", head.CallerHost);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", head.CallerScheme);
        if (callerKey is null)
        {
            // One key per relayed request, the same when it is repeated after a restart, so the callee can tell.
            request.Headers.TryAddWithoutValidation("Idempotency-Key", $"\"{streamId}\"");
        }

        return request;
    }

    private static bool IsOneOf(string name, params ReadOnlySpan<string> names)
    {
        foreach (var candidate in names)
        {
            if (string.Equals(name, candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
