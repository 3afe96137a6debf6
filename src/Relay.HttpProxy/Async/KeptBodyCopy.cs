namespace Relay.HttpProxy.Async;

/// <summary>How copying a kept response body out went.</summary>
internal enum KeptBodyCopy
{
    /// <summary>All of it was copied.</summary>
    Copied,

    /// <summary>The kept body is not whole or not as this node wrote it; the receiver must not take what it got as the response.</summary>
    Broken,
}
