namespace Relay.HttpProxy.Protocol;

/// <summary>The head of a relayed request, as the entry node saw it (MessagePack layout: <see cref="RequestHeadFormatter"/>).</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Target">The absolute URL to call on the exit side (route target plus the rest of the path and the query).</param>
/// <param name="Headers">The header fields, hop-by-hop headers already removed.</param>
/// <param name="ContentLength">The declared body length, or null when the body is chunked or absent.</param>
/// <param name="HasBody">Whether a body follows (or is inline).</param>
/// <param name="DeadlineMilliseconds">How long the caller will wait, from the moment the entry node sent this head.</param>
/// <param name="ResponseCodec">The codec the exit side should try on the response body's frames.</param>
/// <param name="CallerAddress">The caller's IP address, for <c>Forwarded</c>.</param>
/// <param name="CallerHost">The Host the caller addressed.</param>
/// <param name="CallerScheme">The scheme the caller used.</param>
/// <param name="ExpiresAtUnixMilliseconds">
/// When the caller stops waiting, by the entry node's clock: its send time plus the deadline. A head
/// whose whole request arrives after it is never called.
/// </param>
/// <param name="Route">The entry route's path prefix; with the caller's credentials it scopes the caller's <c>Idempotency-Key</c>.</param>
internal sealed record RequestHead(
    string Method,
    string Target,
    HeaderList Headers,
    long? ContentLength,
    bool HasBody,
    long DeadlineMilliseconds,
    BodyCodec ResponseCodec,
    string? CallerAddress,
    string CallerHost,
    string CallerScheme,
    long? ExpiresAtUnixMilliseconds = null,
    string? Route = null);
