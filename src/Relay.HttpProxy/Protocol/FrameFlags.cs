namespace Relay.HttpProxy.Protocol;

/// <summary>The flags byte of a frame. Bits 4–7 are zero in version 2; a frame with any of them set is refused.</summary>
[Flags]
internal enum FrameFlags : byte
{
    None = 0,

    /// <summary>The sender started the stream (it is the caller's side); otherwise the sender is the callee's side.</summary>
    FromInitiator = 1,

    /// <summary>The body in this direction ends with this frame; the payload ends with its decoded length (8 bytes).</summary>
    EndOfBody = 2,

    /// <summary>Bits 2–3: the frame body's <see cref="BodyCodec"/>.</summary>
    CodecMask = 12,

    /// <summary>Bits this version defines.</summary>
    Known = FromInitiator | EndOfBody | CodecMask,
}
