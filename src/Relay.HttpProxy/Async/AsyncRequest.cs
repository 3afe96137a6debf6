using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Async;

/// <summary>A request whose caller was answered 202 at once, as recorded on the entry node.</summary>
/// <remarks>
/// <c>Head</c> holds the response head's MessagePack bytes as they came, or, once failed, the problem JSON
/// the caller gets; <c>ResponseHead</c> is the head decoded (null when failed or not yet come).
/// </remarks>
internal sealed record AsyncRequest(
    Guid Id,
    string Peer,
    AsyncMode Mode,
    string? CallbackUrl,
    AsyncState State,
    int? Status,
    byte[]? Head,
    ResponseHead? ResponseHead,
    long? DeclaredLength,
    DateTimeOffset Created,
    DateTimeOffset? Completed,
    CallbackState Callback,
    int CallbackAttempts,
    bool Accepted);
