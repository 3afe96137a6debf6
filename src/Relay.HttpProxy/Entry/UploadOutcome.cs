namespace Relay.HttpProxy.Entry;

/// <summary>How sending the caller's request body ended.</summary>
internal enum UploadOutcome
{
    /// <summary>All of it went.</summary>
    Complete,

    /// <summary>The response ended first; the rest is not needed.</summary>
    ResponseEndedFirst,

    /// <summary>The far side reset the stream; the response path reports it.</summary>
    PeerReset,

    /// <summary>The body went past the limit.</summary>
    BodyTooLarge,

    /// <summary>The caller stopped sending or went away.</summary>
    CallerGone,

    /// <summary>The caller sent too slowly.</summary>
    CallerIdle,
}
