namespace Relay.HttpProxy.Async;

/// <summary>How delivering one callback ended.</summary>
internal enum CallbackOutcome
{
    /// <summary>No callback is owed (another mode, already settled, or the caller never got its 202).</summary>
    NotOwed,

    /// <summary>The receiver accepted it (2xx).</summary>
    Delivered,

    /// <summary>Not accepted within <see cref="IngressOptions.CallbackGiveUpAfter"/> of the request: abandoned.</summary>
    GaveUp,

    /// <summary>The node is stopping: it stays pending and is taken up again at the next start.</summary>
    Stopped,

    /// <summary>An attempt failed in a way retrying does not mend: it stays pending until the next start.</summary>
    Failed,
}
