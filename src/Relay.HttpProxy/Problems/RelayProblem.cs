using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Problems;

/// <summary>
/// The errors the relay itself answers with, as RFC 9457 problem details. Each has its own type
/// URI so clients can tell a relay error from the callee's own response with the same status.
/// </summary>
internal static class RelayProblem
{
    public const string ContentType = "application/problem+json";
    public const string OutcomeHeader = "Relay-Outcome";

    public static ProblemDetails UnknownRoute(string path) =>
        Create(StatusCodes.Status404NotFound, "unknown-route", "No route for this path", $"No ingress route matches '{path}'.");

    public static ProblemDetails TargetNotAllowed(string target) =>
        Create(StatusCodes.Status403Forbidden, "target-not-allowed", "Target not allowed", $"The exit node's egress does not allow '{target}'.");

    /// <param name="deadline">The deadline that passed.</param>
    /// <param name="linkTrouble">What the node sees wrong with the link to the peer, if anything: the likelier cause.</param>
    public static ProblemDetails DeadlineExceeded(TimeSpan deadline, string? linkTrouble = null) =>
        Create(
            StatusCodes.Status504GatewayTimeout,
            "deadline-exceeded",
            "Deadline exceeded",
            string.IsNullOrEmpty(linkTrouble) ? $"No response arrived within {deadline.TotalSeconds:0.###} s." : $"No response arrived within {deadline.TotalSeconds:0.###} s. {linkTrouble}");

    public static ProblemDetails BodyTooLarge(long limit) =>
        Create(StatusCodes.Status413PayloadTooLarge, "body-too-large", "Request body too large", $"The request body exceeds the limit of {limit} bytes.");

    public static ProblemDetails CalleeUnreachable(string target, string reason) =>
        Create(StatusCodes.Status502BadGateway, "callee-unreachable", "Callee unreachable", $"Calling '{target}' failed: {reason}");

    public static ProblemDetails CalleeTimedOut(string target) =>
        Create(StatusCodes.Status504GatewayTimeout, "deadline-exceeded", "Deadline exceeded", $"'{target}' did not answer before the caller's deadline.");

    public static ProblemDetails OutcomeUnknown(string method) =>
        Create(StatusCodes.Status502BadGateway, "outcome-unknown", "Outcome unknown", $"The exit node restarted while this {method} request was with the callee; it was not repeated because {method} is not idempotent.");

    public static ProblemDetails NoEgress(string node) =>
        Create(StatusCodes.Status502BadGateway, "no-egress", "Peer has no egress", $"Node '{node}' does not replay requests.");

    public static ProblemDetails StreamReset(ResetReason reason) =>
        Create(StatusCodes.Status502BadGateway, "stream-reset", "Response did not arrive", $"The exit side ended the exchange before responding ({reason}).");

    /// <param name="key">The caller's key.</param>
    /// <param name="what">What differs from the request the key was first used for.</param>
    public static ProblemDetails IdempotencyKeyReused(string key, string what) =>
        Create(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused", "Idempotency key reused", $"Idempotency-Key {key} was first used for a request with a different {what}.");

    public static ProblemDetails ResponseNotStored(string key) =>
        Create(StatusCodes.Status409Conflict, "response-not-stored", "Response not kept", $"The response to Idempotency-Key {key} was not kept (too large, or the disk would not take it); the request was not repeated.");

    public static ProblemDetails UnsupportedVersion(string peer, IReadOnlyList<int> supported)
    {
        var problem = Create(
            StatusCodes.Status502BadGateway,
            "unsupported-version",
            "Peer speaks another protocol version",
            $"Node '{peer}' does not speak frame version {Frame.Version}; it speaks {string.Join(", ", supported)}.");
        problem.Extensions["supportedVersions"] = supported.ToArray();
        return problem;
    }

    public static ProblemDetails TooManyStreams(string peer, int limit) =>
        Create(StatusCodes.Status503ServiceUnavailable, "too-many-streams", "Too many requests in progress", $"{limit} requests to '{peer}' are already in progress; try again shortly.");

    public static ProblemDetails UnsafePath(string why) =>
        Create(StatusCodes.Status400BadRequest, "unsafe-path", "Path refused", $"The request path is refused because {why}: a service behind the relay could read it as another path.");

    public static ProblemDetails CallbackNotAllowed(string url) =>
        Create(StatusCodes.Status403Forbidden, "callback-not-allowed", "Callback not allowed", $"Relay-Callback '{url}' is not an absolute http(s) URL under one of the ingress's allowed callbacks.");

    public static ProblemDetails UnknownRequest(string id) =>
        Create(StatusCodes.Status404NotFound, "unknown-request", "No such request", $"No request '{id}' is kept here: it never was, or its response has expired.");

    public static ProblemDetails AsyncResponseTooLarge(long limit) =>
        Create(StatusCodes.Status502BadGateway, "async-response-too-large", "Response too large to keep",
            $"The response is larger than the {limit} bytes this node keeps for a request answered 202 (Relay:Ingress:MaxAsyncResponseBytes). Send the request without respond-async or Relay-Callback to receive it streamed.");

    /// <summary>A response that no longer fitted the storage budget (several arriving at once): 502 for its poll or callback.</summary>
    public static ProblemDetails AsyncStorageFull(long limit) =>
        Create(StatusCodes.Status502BadGateway, "async-storage-full", "No room to keep the response",
            $"Responses kept for requests answered 202 filled the {limit} bytes this node has for them (Relay:Ingress:MaxAsyncStorageBytes) while this one arrived. Send the request again later, or without respond-async or Relay-Callback.");

    /// <summary>A response the entry node's disk refused (full, or failing part way through a write): 502 for its poll or callback.</summary>
    public static ProblemDetails AsyncResponseNotKept() =>
        Create(StatusCodes.Status502BadGateway, "async-response-not-kept", "The response could not be kept",
            "Writing the response to this node's disk failed (it may be full); what had arrived of it is deleted. Send the request again, or without respond-async or Relay-Callback.");

    /// <summary>A new request refused (503) because a response of the largest size kept would not fit.</summary>
    public static ProblemDetails AsyncStorageFull(long used, long limit, long largest) =>
        Create(StatusCodes.Status503ServiceUnavailable, "async-storage-full", "No room to keep responses",
            $"Responses kept for requests answered 202 use {used} of the {limit} bytes this node has for them (Relay:Ingress:MaxAsyncStorageBytes), too little for another of up to {largest} bytes (Relay:Ingress:MaxAsyncResponseBytes). Try again later, or send the request without respond-async or Relay-Callback.");

    /// <param name="peer">The route's peer, which sends nothing back.</param>
    /// <param name="asked">What in the request needs a response (<see cref="Entry.OneWayPolicy"/>).</param>
    public static ProblemDetails OneWayRoute(string peer, string asked)
    {
        var problem = Create(
            StatusCodes.Status501NotImplemented,
            "one-way-route",
            "Route carries no response",
            $"The link to '{peer}' is one-way: it carries nothing back, so this request cannot have {asked}. Nothing of it was sent. "
            + "On this route, send a request that needs no response (POST, PUT, PATCH or DELETE without Prefer: respond-async, wait= or return=, Relay-Callback, "
            + "Accept: text/event-stream or Upgrade): it is answered 202 with Relay-Outcome: sent once it is durable, and replayed to the callee once. "
            + "For a response, polling, a callback, an event stream or a WebSocket, use a route to a peer whose link runs both ways.");
        problem.Extensions["peer"] = peer;
        problem.Extensions["refused"] = asked;
        return problem;
    }

    public static byte[] Serialize(ProblemDetails problem) => JsonSerializer.SerializeToUtf8Bytes(problem, ProblemJsonContext.Readable.ProblemDetails);

    public static async Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        var response = context.Response;
        response.StatusCode = problem.Status ?? StatusCodes.Status500InternalServerError;
        response.ContentType = ContentType;
        response.Headers.XContentTypeOptions = "nosniff";
        var body = Serialize(problem);
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private static ProblemDetails Create(int status, string type, string title, string detail) =>
        new() { Status = status, Type = "urn:relay:problem:" + type, Title = title, Detail = detail };
}
