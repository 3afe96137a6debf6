using System.Buffers;

namespace Relay.HttpProxy.Protocol;

/// <summary>Writes the control frames (whole, small) of version 2; heads and data go through <see cref="OutgoingFrame"/>.</summary>
internal static class FrameWriter
{
    public const string UnsupportedVersionError = "unsupported_api_version";

    /// <summary>Writes a frame's fixed header into the start of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, FrameType type, FrameFlags flags, Guid streamId)
    {
        destination[0] = Frame.Version;
        destination[1] = (byte)type;
        destination[2] = (byte)flags;
        streamId.TryWriteBytes(destination.Slice(3, 16), bigEndian: true, out _);
    }

    public static byte[] Credit(Guid streamId, bool fromInitiator, int bytes) =>
        Control(FrameType.Credit, fromInitiator, streamId, writer => ControlPayloads.WriteCredit(writer, bytes));

    public static byte[] Reset(Guid streamId, bool fromInitiator, ResetReason reason) =>
        Control(FrameType.Reset, fromInitiator, streamId, writer => ControlPayloads.WriteReset(writer, reason));

    /// <summary>From the caller's side, stream id all zeros: every stream its callers hold open.</summary>
    public static byte[] Heartbeat(IReadOnlyList<Guid> streams) =>
        Control(FrameType.Heartbeat, fromInitiator: true, Guid.Empty, writer => ControlPayloads.WriteHeartbeat(writer, streams));

    /// <summary>The answer to a frame of a version this node does not speak.</summary>
    public static byte[] UnsupportedVersion(Guid streamId, bool fromInitiator) =>
        Control(FrameType.UnsupportedVersion, fromInitiator, streamId, writer =>
            FramePayloads.Write(writer, new UnsupportedVersionDocument(UnsupportedVersionError, Frame.SupportedVersions)));

    private static byte[] Control(FrameType type, bool fromInitiator, Guid streamId, Action<IBufferWriter<byte>> payload)
    {
        var writer = new ArrayBufferWriter<byte>(64);
        WriteHeader(writer.GetSpan(Frame.HeaderLength), type, Frame.FlagsOf(fromInitiator, endOfBody: false, BodyCodec.None), streamId);
        writer.Advance(Frame.HeaderLength);
        payload(writer);
        return writer.WrittenSpan.ToArray();
    }
}
