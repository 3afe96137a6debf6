namespace Relay.HttpProxy.State;

/// <summary>A request the exit node took on, as recorded before it called the callee.</summary>
/// <param name="Peer">The node that sent the request.</param>
/// <param name="StreamId">The stream.</param>
/// <param name="Method">The request method.</param>
/// <param name="Target">The request target.</param>
/// <param name="CallerKey">The caller's <c>Idempotency-Key</c>, or null.</param>
/// <param name="RetryHead">The request head's MessagePack bytes when the request can be repeated after a crash (idempotent, body inline), else null.</param>
/// <param name="RetryBody">With <paramref name="RetryHead"/>: the whole request body, decoded.</param>
internal sealed record StoredExchange(string Peer, Guid StreamId, string Method, string Target, string? CallerKey, byte[]? RetryHead, byte[]? RetryBody)
{
    /// <summary>With a caller key: whose it is (route and credentials fingerprint, see <c>IdempotencyScope</c>).</summary>
    public string? Scope { get; init; }
}
