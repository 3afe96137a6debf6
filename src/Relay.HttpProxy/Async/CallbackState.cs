namespace Relay.HttpProxy.Async;

internal enum CallbackState
{
    None = 0,

    /// <summary>Waiting for the response, or being delivered.</summary>
    Pending = 1,

    /// <summary>The callback URL accepted it (2xx).</summary>
    Delivered = 2,

    /// <summary>Not accepted before the give-up time.</summary>
    Abandoned = 3,
}
