using System.Buffers.Binary;
using System.Text.Json;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// One layer-2 frame, parsed without copying from a layer-1 payload.
/// Layout (big-endian): version (1 byte), type (1), flags (1), stream id (16), then the type's payload:
/// heads start with a 4-byte JSON length and the JSON; heads and data frames then carry body bytes,
/// followed by the body's decoded length (8 bytes) when <see cref="FrameFlags.EndOfBody"/> is set;
/// a credit carries a 4-byte byte count; a reset carries a 1-byte <see cref="ResetReason"/>.
/// </summary>
internal readonly struct Frame
{
    public const byte Version = 1;

    /// <summary>The frame versions this node reads, stated to peers that send another.</summary>
    public static readonly int[] SupportedVersions = [Version];
    public const int HeaderLength = 19;
    public const int TotalLength = 8;

    private Frame(FrameType type, FrameFlags flags, Guid streamId, ReadOnlyMemory<byte> payload)
    {
        Type = type;
        Flags = flags;
        StreamId = streamId;
        Payload = payload;
    }

    public FrameType Type { get; }

    public FrameFlags Flags { get; }

    public Guid StreamId { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    public bool FromInitiator => (Flags & FrameFlags.FromInitiator) != 0;

    public bool EndOfBody => (Flags & FrameFlags.EndOfBody) != 0;

    public bool IsBrotli => (Flags & FrameFlags.Brotli) != 0;

    /// <summary>The body bytes of a head or data frame (still encoded when <see cref="IsBrotli"/>).</summary>
    public ReadOnlyMemory<byte> Body { get; private init; }

    /// <summary>The JSON of a head frame.</summary>
    public ReadOnlyMemory<byte> HeadJson { get; private init; }

    /// <summary>The decoded length of the whole body when <see cref="EndOfBody"/> is set.</summary>
    public long DeclaredTotal { get; private init; }

    public int CreditBytes => Type == FrameType.Credit ? BinaryPrimitives.ReadInt32BigEndian(Payload.Span) : 0;

    public ResetReason ResetReason => Type == FrameType.Reset ? (ResetReason)Payload.Span[0] : 0;

    /// <summary>Parses a frame; false when the bytes are not a well-formed frame of this version.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> message, out Frame frame)
    {
        frame = default;
        var span = message.Span;
        if (span.Length < HeaderLength || span[0] != Version || !Enum.IsDefined((FrameType)span[1]) || span[2] > 7)
        {
            return false;
        }

        var type = (FrameType)span[1];
        var flags = (FrameFlags)span[2];
        var id = new Guid(span.Slice(3, 16), bigEndian: true);
        var payload = message[HeaderLength..];
        var json = ReadOnlyMemory<byte>.Empty;
        var body = payload;
        switch (type)
        {
            case FrameType.RequestHead or FrameType.ResponseHead:
                if (payload.Length < 4)
                {
                    return false;
                }

                var jsonLength = BinaryPrimitives.ReadInt32BigEndian(payload.Span);
                if (jsonLength < 2 || jsonLength > payload.Length - 4)
                {
                    return false;
                }

                json = payload.Slice(4, jsonLength);
                body = payload[(4 + jsonLength)..];
                break;
            case FrameType.Data:
                break;
            case FrameType.Credit:
                if (payload.Length != 4 || BinaryPrimitives.ReadInt32BigEndian(payload.Span) <= 0)
                {
                    return false;
                }

                body = ReadOnlyMemory<byte>.Empty;
                break;
            case FrameType.Reset:
                if (payload.Length != 1)
                {
                    return false;
                }

                body = ReadOnlyMemory<byte>.Empty;
                break;
            case FrameType.UnsupportedVersion:
                json = payload;
                body = ReadOnlyMemory<byte>.Empty;
                break;
            case FrameType.Heartbeat:
                if (payload.Length % 16 != 0)
                {
                    return false;
                }

                body = ReadOnlyMemory<byte>.Empty;
                break;
        }

        long total = 0;
        if ((flags & FrameFlags.EndOfBody) != 0)
        {
            if (type is FrameType.Credit or FrameType.Reset or FrameType.UnsupportedVersion or FrameType.Heartbeat || body.Length < TotalLength)
            {
                return false;
            }

            total = BinaryPrimitives.ReadInt64BigEndian(body.Span[^TotalLength..]);
            body = body[..^TotalLength];
            if (total < 0)
            {
                return false;
            }
        }

        frame = new Frame(type, flags, id, payload) { Body = body, HeadJson = json, DeclaredTotal = total };
        return true;
    }

    /// <summary>
    /// Reads what every version's frames share (version byte, and by this version's layout the stream
    /// id and initiator flag) from a frame <see cref="TryParse"/> refused; false when too short.
    /// </summary>
    public static bool TryPeek(ReadOnlySpan<byte> message, out byte version, out Guid streamId, out bool fromInitiator)
    {
        version = message.Length > 0 ? message[0] : (byte)0;
        streamId = message.Length >= HeaderLength ? new Guid(message.Slice(3, 16), bigEndian: true) : Guid.Empty;
        fromInitiator = message.Length >= HeaderLength && (message[2] & (byte)FrameFlags.FromInitiator) != 0;
        return message.Length >= HeaderLength;
    }

    /// <summary>The stream ids a heartbeat lists.</summary>
    public IEnumerable<Guid> HeartbeatStreams()
    {
        for (var offset = 0; offset + 16 <= Payload.Length; offset += 16)
        {
            yield return new Guid(Payload.Span.Slice(offset, 16), bigEndian: true);
        }
    }

    public static byte[] Heartbeat(IReadOnlyList<Guid> streams)
    {
        var frame = new byte[HeaderLength + (16 * streams.Count)];
        WriteHeader(frame, FrameType.Heartbeat, FrameFlags.FromInitiator, Guid.Empty);
        for (var i = 0; i < streams.Count; i++)
        {
            streams[i].TryWriteBytes(frame.AsSpan(HeaderLength + (16 * i), 16), bigEndian: true, out _);
        }

        return frame;
    }

    /// <summary>The answer to a frame of a version this node does not speak.</summary>
    public static byte[] UnsupportedVersion(Guid streamId, bool fromInitiator)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(
            new UnsupportedVersionDocument("unsupported_api_version", SupportedVersions), ProtocolJsonContext.Default.UnsupportedVersionDocument);
        var frame = new byte[HeaderLength + json.Length];
        WriteHeader(frame, FrameType.UnsupportedVersion, fromInitiator ? FrameFlags.FromInitiator : FrameFlags.None, streamId);
        json.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>Writes a frame's fixed header into the start of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, FrameType type, FrameFlags flags, Guid streamId)
    {
        destination[0] = Version;
        destination[1] = (byte)type;
        destination[2] = (byte)flags;
        streamId.TryWriteBytes(destination.Slice(3, 16), bigEndian: true, out _);
    }

    public static byte[] Credit(Guid streamId, bool fromInitiator, int bytes)
    {
        var frame = new byte[HeaderLength + 4];
        WriteHeader(frame, FrameType.Credit, fromInitiator ? FrameFlags.FromInitiator : FrameFlags.None, streamId);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(HeaderLength), bytes);
        return frame;
    }

    public static byte[] Reset(Guid streamId, bool fromInitiator, ResetReason reason)
    {
        var frame = new byte[HeaderLength + 1];
        WriteHeader(frame, FrameType.Reset, fromInitiator ? FrameFlags.FromInitiator : FrameFlags.None, streamId);
        frame[HeaderLength] = (byte)reason;
        return frame;
    }
}
