namespace Relay.HttpProxy.Async;

/// <summary>A request whose caller was answered 202 at once, as recorded on the entry node.</summary>
internal sealed record AsyncRequest(
    Guid Id,
    string Peer,
    AsyncMode Mode,
    string? CallbackUrl,
    AsyncState State,
    int? Status,
    byte[]? HeadJson,
    long? DeclaredLength,
    DateTimeOffset Created,
    DateTimeOffset? Completed,
    CallbackState Callback,
    int CallbackAttempts,
    bool Accepted);
