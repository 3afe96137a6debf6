namespace Relay.HttpProxy.Async;

/// <summary>How a caller that is not held gets its response.</summary>
internal enum AsyncMode
{
    /// <summary><c>Prefer: respond-async</c>: the caller polls <c>/relay/requests/{id}</c>.</summary>
    Poll = 1,

    /// <summary><c>Relay-Callback</c>: the response is POSTed to the caller's URL.</summary>
    Callback = 2,
}
