namespace Relay.HttpProxy.Protocol;

/// <summary>Why <see cref="Frame.TryParse(ReadOnlyMemory{byte}, out Frame, out FrameReject)"/> refused a message.</summary>
internal enum FrameReject : byte
{
    None = 0,

    /// <summary>Shorter than the fixed header.</summary>
    TooShort,

    /// <summary>A version this node does not speak (the fixed header's offsets still hold).</summary>
    UnsupportedVersion,

    UnknownType,

    /// <summary>Flag bits this version does not define, an unknown codec, or flags the frame type does not allow.</summary>
    BadFlags,

    /// <summary>A length or count field out of range, or bytes missing.</summary>
    BadLength,

    /// <summary>A structured payload that is not valid MessagePack of its layout.</summary>
    BadPayload,
}
