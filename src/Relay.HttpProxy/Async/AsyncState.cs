namespace Relay.HttpProxy.Async;

internal enum AsyncState
{
    /// <summary>Sent; no response head yet.</summary>
    Pending = 1,

    /// <summary>The response head has come; its body is arriving.</summary>
    Receiving = 2,

    /// <summary>The whole response is kept.</summary>
    Complete = 3,

    /// <summary>No response will come; the kept answer is a problem.</summary>
    Failed = 4,
}
