using System.Buffers;
using MessagePack;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// The small payloads of control frames, each a MessagePack array: credit <c>[bytes]</c>, reset
/// <c>[reason]</c>, heartbeat <c>[[stream id (bin 16)…]]</c>. Like every payload, a later version
/// may append fields; readers skip them.
/// </summary>
internal static class ControlPayloads
{
    public const int StreamIdLength = 16;

    public static void WriteCredit(IBufferWriter<byte> destination, int bytes)
    {
        var writer = new MessagePackWriter(destination);
        writer.WriteArrayHeader(1);
        writer.Write(bytes);
        writer.Flush();
    }

    public static void WriteReset(IBufferWriter<byte> destination, ResetReason reason)
    {
        var writer = new MessagePackWriter(destination);
        writer.WriteArrayHeader(1);
        writer.Write((byte)reason);
        writer.Flush();
    }

    public static void WriteHeartbeat(IBufferWriter<byte> destination, IReadOnlyList<Guid> streams)
    {
        var writer = new MessagePackWriter(destination);
        writer.WriteArrayHeader(1);
        writer.WriteArrayHeader(streams.Count);
        var id = new byte[StreamIdLength];
        foreach (var stream in streams)
        {
            stream.TryWriteBytes(id, bigEndian: true, out _);
            writer.Write(id);
        }

        writer.Flush();
    }

    /// <summary>A credit's byte count: 1 to 2^31−1.</summary>
    public static bool TryReadCredit(ReadOnlyMemory<byte> payload, out int bytes) =>
        FramePayloads.TryRead(payload, ReadCredit, out bytes);

    /// <summary>A reset's reason: one of <see cref="ResetReason"/>'s values (a reason this version does not know is refused).</summary>
    public static bool TryReadReset(ReadOnlyMemory<byte> payload, out ResetReason reason) =>
        FramePayloads.TryRead(payload, ReadReset, out reason);

    public static bool TryReadHeartbeat(ReadOnlyMemory<byte> payload, out Guid[] streams)
    {
        if (FramePayloads.TryRead(payload, ReadHeartbeat, out var read))
        {
            streams = read;
            return true;
        }

        streams = [];
        return false;
    }

    private static int ReadCredit(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = PayloadFields.BeginArray(ref reader, options, 1, "credit");
        var bytes = reader.ReadInt32();
        PayloadFields.EndArray(ref reader, count, 1);
        return bytes > 0 ? bytes : throw new MessagePackSerializationException("A credit grants at least one byte.");
    }

    private static ResetReason ReadReset(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = PayloadFields.BeginArray(ref reader, options, 1, "reset");
        var reason = (ResetReason)reader.ReadByte();
        PayloadFields.EndArray(ref reader, count, 1);
        return Enum.IsDefined(reason) && reason != ResetReason.UnsupportedVersion ? reason : throw new MessagePackSerializationException("Unknown reset reason.");
    }

    private static Guid[] ReadHeartbeat(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var count = PayloadFields.BeginArray(ref reader, options, 1, "heartbeat");
        var streams = new Guid[PayloadFields.ReadBoundedArrayHeader(ref reader)];
        Span<byte> bytes = stackalloc byte[StreamIdLength];
        for (var i = 0; i < streams.Length; i++)
        {
            var id = reader.ReadBytes() ?? throw new MessagePackSerializationException("A stream id is nil.");
            if (id.Length != StreamIdLength)
            {
                throw new MessagePackSerializationException("A stream id is not 16 bytes.");
            }

            id.CopyTo(bytes);
            streams[i] = new Guid(bytes, bigEndian: true);
        }

        PayloadFields.EndArray(ref reader, count, 1);
        return streams;
    }
}
