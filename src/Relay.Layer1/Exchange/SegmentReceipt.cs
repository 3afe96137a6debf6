using Relay.Layer1.Channels;
using Relay.Layer1.Format;

namespace Relay.Layer1.Exchange;

/// <summary>
/// What one inbox file holds once every check has passed (the manifest and the ack, with the
/// fragments in the caller's list), or the reason it is dropped and a short detail.
/// </summary>
internal readonly record struct SegmentReceipt(FileRejectReason? Reason, string? Detail, SegmentManifest? Manifest, AckState? Ack)
{
    /// <summary>The file's parity record, when it is a parity file (docs/protocol.md, "Parity record").</summary>
    public ParityRecord? Parity { get; init; }

    /// <summary>Bytes of plaintext body in the caller's buffer.</summary>
    public int BodyLength { get; init; }

    public bool IsAccepted => Reason is null;

    public static SegmentReceipt Reject(FileRejectReason reason, string? detail) => new(reason, detail, null, null);
}
