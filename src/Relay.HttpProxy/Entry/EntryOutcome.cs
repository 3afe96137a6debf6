namespace Relay.HttpProxy.Entry;

/// <summary>How the caller's side of a stream ended, decided where it is known and answered in one place.</summary>
internal enum EntryOutcome
{
    /// <summary>The response head arrived; the body follows.</summary>
    Response,

    /// <summary>No response head within the deadline.</summary>
    DeadlineExceeded,

    /// <summary>The caller hung up.</summary>
    CallerGone,

    /// <summary>The peer does not speak this node's frame version.</summary>
    UnsupportedVersion,

    /// <summary>The request body went past the limit.</summary>
    BodyTooLarge,

    /// <summary>The request body broke off (the caller stopped sending, or too slowly).</summary>
    UploadBroken,

    /// <summary>The exit side reset the stream, or the link broke it.</summary>
    Reset,
}
