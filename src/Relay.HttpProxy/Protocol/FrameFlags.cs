namespace Relay.HttpProxy.Protocol;

[Flags]
internal enum FrameFlags : byte
{
    None = 0,

    /// <summary>The sender started the stream (it is the caller's side); otherwise the sender is the callee's side.</summary>
    FromInitiator = 1,

    /// <summary>The body in this direction ends with this frame; the payload ends with its decoded length (8 bytes).</summary>
    EndOfBody = 2,

    /// <summary>The body bytes in this frame are Brotli, flushed at the frame's end.</summary>
    Brotli = 4,
}
