namespace Relay.Layer1.Format;

/// <summary>The outcome of decoding one file: a manifest and body length, or a reason and a short detail.</summary>
public readonly record struct SegmentDecodeResult(FileRejectReason? Reason, SegmentManifest? Manifest, int BodyLength, string? Detail)
{
    public bool IsAccepted => Reason is null;

    internal static SegmentDecodeResult Reject(FileRejectReason reason, string detail) => new(reason, null, 0, detail);
}
