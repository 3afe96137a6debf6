namespace Relay.HttpProxy.Protocol;

/// <summary>Why a stream was abandoned; carried in a <see cref="FrameType.Reset"/> frame.</summary>
internal enum ResetReason : byte
{
    /// <summary>The caller hung up or its request body broke off.</summary>
    CallerGone = 1,

    /// <summary>The deadline passed.</summary>
    DeadlineExceeded = 2,

    /// <summary>The request body exceeded the entry node's limit.</summary>
    BodyTooLarge = 3,

    /// <summary>The callee's response body broke off.</summary>
    SourceFailed = 4,

    /// <summary>The receiver has no such stream (it restarted, or the stream already ended).</summary>
    UnknownStream = 5,

    /// <summary>The frame broke the protocol (for example, more bytes than granted).</summary>
    ProtocolViolation = 6,

    /// <summary>The sending node restarted while the stream was in flight.</summary>
    NodeRestarted = 7,

    /// <summary>Nothing moved on the stream for longer than the idle timeout.</summary>
    Idle = 8,

    /// <summary>The far node does not speak this frame version (used locally, never sent).</summary>
    UnsupportedVersion = 9,

    /// <summary>The response is more than the entry node keeps for a request answered 202.</summary>
    ResponseTooLarge = 10,
}
