namespace Relay.HttpProxy.Protocol;

/// <summary>What a layer-2 frame carries. One frame rides in one layer-1 message.</summary>
internal enum FrameType : byte
{
    /// <summary>Method, target, headers and deadline of a request, optionally with the start of its body.</summary>
    RequestHead = 1,

    /// <summary>Status and headers of a response, optionally with the start of its body.</summary>
    ResponseHead = 2,

    /// <summary>A chunk of a request or response body.</summary>
    Data = 3,

    /// <summary>The receiver of a body grants its sender room for more bytes.</summary>
    Credit = 4,

    /// <summary>The sender abandons the stream; the body in its direction is incomplete.</summary>
    Reset = 5,

    /// <summary>
    /// The sender could not read a frame because of its version; the payload lists the versions it
    /// speaks. Its place and payload layout are the same in every version, so any version reads it.
    /// </summary>
    UnsupportedVersion = 6,

    /// <summary>
    /// From the caller's side, at intervals: the ids of every stream it still has open. Quiet streams stay open on both sides; one the caller's side no longer lists is
    /// ended on the callee's side (the channel is ordered, so the list is never older than a head).
    /// </summary>
    Heartbeat = 7,
}
