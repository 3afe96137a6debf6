using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Entry;

/// <summary>What waiting for the response head came to: the head, or why there is none.</summary>
/// <param name="Outcome">How the wait ended.</param>
/// <param name="Head">The response head, for <see cref="EntryOutcome.Response"/>.</param>
/// <param name="Reason">The reset reason, for <see cref="EntryOutcome.Reset"/>.</param>
/// <param name="Unsupported">The peer's answer, for <see cref="EntryOutcome.UnsupportedVersion"/>.</param>
internal readonly record struct ResponseWait(EntryOutcome Outcome, ResponseHead? Head = null, ResetReason Reason = 0, UnsupportedVersionException? Unsupported = null)
{
    /// <summary>Turns how the exchange failed into an outcome.</summary>
    public static ResponseWait Failed(StreamResetException failure) => failure switch
    {
        UnsupportedVersionException unsupported => new(EntryOutcome.UnsupportedVersion, Unsupported: unsupported),
        { Reason: ResetReason.BodyTooLarge } => new(EntryOutcome.BodyTooLarge),
        { Reason: ResetReason.CallerGone } => new(EntryOutcome.UploadBroken),
        _ => new(EntryOutcome.Reset, Reason: failure.Reason),
    };
}
