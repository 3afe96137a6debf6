using Relay.Layer1.Format;

namespace Relay.Layer1.Exchange;

/// <summary>
/// Turns the bytes of one inbox file into the authentic records it carries, or a reject reason:
/// every check a receiver makes before any state changes (docs/protocol.md, "Receiver" steps 1–6)
/// happens here, in the documented order. Pure: it reads no files and changes no state, so the
/// channel only ever sees what passed.
/// </summary>
internal sealed class SegmentReceiver
{
    // Files up to this size are read whatever this node's own bound: peers may be configured differently.
    public const int MinAcceptedFileBytes = 64 * 1024 * 1024;

    private readonly SegmentCodec _codec;
    private readonly Func<string, bool> _isPeer;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxFileAge;

    public SegmentReceiver(SegmentCodec codec, Func<string, bool> isPeer, Layer1Options options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _codec = codec;
        _isPeer = isPeer;
        _time = time;
        _maxFileAge = options.MaxFileAge;
        MaxAcceptedFileBytes = Math.Max(options.MaxFileBytes, MinAcceptedFileBytes);
    }

    public int MaxAcceptedFileBytes { get; }

    /// <summary>Step 1: the sender the name claims is a configured peer (names that are not segment file names are never offered).</summary>
    public SegmentReceipt? CheckSender(string claimedSender) =>
        _isPeer(claimedSender) ? null : SegmentReceipt.Reject(FileRejectReason.UnknownSender, "not a configured peer");

    /// <summary>Step 2, before the file is read: no larger than any peer may write.</summary>
    public SegmentReceipt? CheckLength(long length) =>
        length > MaxAcceptedFileBytes ? SegmentReceipt.Reject(FileRejectReason.TooLarge, $"{length} bytes") : null;

    /// <summary>
    /// Steps 3–6 on a whole file: decode and verify it (into <paramref name="body"/>, at least as
    /// long as the file), check its age against this node's clock, and parse its records into
    /// <paramref name="fragments"/>, whose data point into <paramref name="body"/>.
    /// </summary>
    public SegmentReceipt Read(string name, ReadOnlySpan<byte> file, byte[] body, List<ReceivedFragment> fragments)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(fragments);
        fragments.Clear();
        var decoded = _codec.Decode(file, name, body);
        if (!decoded.IsAccepted)
        {
            return SegmentReceipt.Reject(decoded.Reason!.Value, decoded.Detail);
        }

        var manifest = decoded.Manifest!;
        if (_time.GetUtcNow() - manifest.CreatedAt > _maxFileAge)
        {
            return SegmentReceipt.Reject(FileRejectReason.Expired, $"created {manifest.CreatedAt:O}");
        }

        if (BodyRecords.TryRead(body.AsMemory(0, decoded.BodyLength), fragments, out var ack, out var parity) is { } error)
        {
            fragments.Clear();
            return SegmentReceipt.Reject(FileRejectReason.Malformed, "body records: " + error);
        }

        return new SegmentReceipt(null, null, manifest, ack) { Parity = parity, BodyLength = decoded.BodyLength };
    }
}
