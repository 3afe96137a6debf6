namespace Relay.HttpProxy.Protocol;

/// <summary>How one frame's body bytes travel; carried in bits 2–3 of the frame's flags.</summary>
internal enum BodyCodec : byte
{
    /// <summary>The bytes as they are.</summary>
    None = 0,

    /// <summary>One LZ4 raw block (no frame header), preceded by its decoded length.</summary>
    Lz4 = 1,

    /// <summary>One complete Brotli stream (quality 1), preceded by its decoded length.</summary>
    Brotli = 2,
}
