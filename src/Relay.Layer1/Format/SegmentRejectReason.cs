namespace Relay.Layer1.Format;

/// <summary>Why <see cref="SegmentCodec.Decode"/> refused a file.</summary>
public enum SegmentRejectReason
{
    None,
    Malformed,
    Truncated,
    Corrupted,
    UnsupportedVersion,
    UnknownSender,
    BadSignature,
    WrongRecipient,
    NameMismatch,
}
