using System.Buffers.Binary;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// One layer-2 frame of version 2, parsed from a layer-1 payload. Heads and control payloads are
/// decoded here, once, into values; body bytes stay in the message, undecoded.
/// Layout (big-endian; docs/protocol.md has it byte by byte): version (1 byte), type (1), flags (1),
/// stream id (16), then the type's payload. Heads: head length (uint32), the head in MessagePack, then
/// a body section. Data: a body section. A body section is raw bytes, or with a codec a decoded
/// length (uint32) and one block; with <see cref="FrameFlags.EndOfBody"/> the body's total decoded
/// length (int64) follows. Credit, reset, heartbeat and unsupported version: one MessagePack array.
/// </summary>
internal readonly struct Frame
{
    public const byte Version = 2;

    /// <summary>The frame versions this node reads, stated to peers that send another.</summary>
    public static readonly int[] SupportedVersions = [Version];

    /// <summary>Version, type, flags and stream id: the same offsets in every version.</summary>
    public const int HeaderLength = 19;

    public const int HeadLengthFieldLength = 4;

    /// <summary>The end-of-body trailer: the body's whole decoded length, int64.</summary>
    public const int TotalLength = 8;

    /// <summary>The largest head a frame may carry (Kestrel's own header limit is far below it).</summary>
    public const int MaxHeadLength = 1024 * 1024;

    private const int CodecShift = 2;

    public FrameType Type { get; private init; }

    public FrameFlags Flags { get; private init; }

    public Guid StreamId { get; private init; }

    public bool FromInitiator => (Flags & FrameFlags.FromInitiator) != 0;

    public bool EndOfBody => (Flags & FrameFlags.EndOfBody) != 0;

    /// <summary>How <see cref="Body"/> is encoded.</summary>
    public BodyCodec Codec => (BodyCodec)((int)(Flags & FrameFlags.CodecMask) >> CodecShift);

    /// <summary>The body bytes of a head or data frame: raw, or the compressed block (without its length prefix).</summary>
    public ReadOnlyMemory<byte> Body { get; private init; }

    /// <summary>The length of <see cref="Body"/> once decoded (its own length when raw).</summary>
    public int DecodedLength { get; private init; }

    /// <summary>The body bytes as they travelled, prefix included: what counts against the receiver's credit.</summary>
    public int BodyCredit => Codec == BodyCodec.None ? Body.Length : Body.Length + BodyBlock.PrefixLength;

    /// <summary>The decoded length of the whole body when <see cref="EndOfBody"/> is set.</summary>
    public long DeclaredTotal { get; private init; }

    /// <summary>The head's MessagePack bytes as they came (kept to repeat a request after a crash).</summary>
    public ReadOnlyMemory<byte> HeadBytes { get; private init; }

    public RequestHead? RequestHead { get; private init; }

    public ResponseHead? ResponseHead { get; private init; }

    public UnsupportedVersionDocument? UnsupportedVersion { get; private init; }

    public int CreditBytes { get; private init; }

    public ResetReason ResetReason { get; private init; }

    /// <summary>The stream ids a heartbeat lists.</summary>
    public IReadOnlyList<Guid> HeartbeatStreams { get; private init; }

    public static FrameFlags FlagsOf(bool fromInitiator, bool endOfBody, BodyCodec codec) =>
        (fromInitiator ? FrameFlags.FromInitiator : FrameFlags.None)
        | (endOfBody ? FrameFlags.EndOfBody : FrameFlags.None)
        | (FrameFlags)((int)codec << CodecShift);

    public static bool TryParse(ReadOnlyMemory<byte> message, out Frame frame) => TryParse(message, out frame, out _);

    /// <summary>Parses a frame; false, with the reason, when the bytes are not a well-formed frame of this version. Never throws.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> message, out Frame frame, out FrameReject reject)
    {
        frame = default;
        reject = Check(message, out var parsed);
        if (reject == FrameReject.None)
        {
            frame = parsed;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Reads what every version's frames share (version, type, stream id, initiator flag) from a
    /// frame <see cref="TryParse(ReadOnlyMemory{byte}, out Frame)"/> refused; false when too short.
    /// </summary>
    public static bool TryPeek(ReadOnlySpan<byte> message, out byte version, out byte type, out Guid streamId, out bool fromInitiator)
    {
        var whole = message.Length >= HeaderLength;
        version = message.Length > 0 ? message[0] : (byte)0;
        type = message.Length > 1 ? message[1] : (byte)0;
        streamId = whole ? new Guid(message.Slice(3, 16), bigEndian: true) : Guid.Empty;
        fromInitiator = whole && (message[2] & (byte)FrameFlags.FromInitiator) != 0;
        return whole;
    }

    /// <summary>
    /// Reads the answer of a peer that does not speak this version. Type 6 keeps its place and its
    /// payload's layout in every version, so it is read whatever version byte it carries.
    /// </summary>
    public static bool TryReadUnsupportedVersion(ReadOnlyMemory<byte> message, out UnsupportedVersionDocument? answer)
    {
        answer = null;
        return message.Length >= HeaderLength
            && message.Span[1] == (byte)FrameType.UnsupportedVersion
            && FramePayloads.TryDecode(message[HeaderLength..], out answer);
    }

    private static FrameReject Check(ReadOnlyMemory<byte> message, out Frame frame)
    {
        frame = default;
        var span = message.Span;
        if (span.Length < HeaderLength)
        {
            return FrameReject.TooShort;
        }

        if (span[0] != Version)
        {
            return FrameReject.UnsupportedVersion;
        }

        var type = (FrameType)span[1];
        if (!Enum.IsDefined(type))
        {
            return FrameReject.UnknownType;
        }

        var flags = (FrameFlags)span[2];
        var codec = (BodyCodec)((int)(flags & FrameFlags.CodecMask) >> CodecShift);
        if ((flags & ~FrameFlags.Known) != 0 || !Enum.IsDefined(codec))
        {
            return FrameReject.BadFlags;
        }

        var parsed = new Frame { Type = type, Flags = flags, StreamId = new Guid(span.Slice(3, 16), bigEndian: true), HeartbeatStreams = [] };
        var payload = message[HeaderLength..];
        var carriesBody = type is FrameType.RequestHead or FrameType.ResponseHead or FrameType.Data;
        if (!carriesBody && (flags & (FrameFlags.EndOfBody | FrameFlags.CodecMask)) != 0)
        {
            return FrameReject.BadFlags;
        }

        var reject = FrameReject.BadPayload;
        switch (type)
        {
            case FrameType.RequestHead or FrameType.ResponseHead:
                reject = ReadHead(type, ref payload, ref parsed);
                break;
            case FrameType.Data:
                reject = FrameReject.None;
                break;
            case FrameType.Credit when ControlPayloads.TryReadCredit(payload, out var credit):
                parsed = parsed with { CreditBytes = credit };
                reject = FrameReject.None;
                break;
            case FrameType.Reset when ControlPayloads.TryReadReset(payload, out var reason):
                parsed = parsed with { ResetReason = reason };
                reject = FrameReject.None;
                break;
            case FrameType.Heartbeat when ControlPayloads.TryReadHeartbeat(payload, out var streams):
                parsed = parsed with { HeartbeatStreams = streams };
                reject = FrameReject.None;
                break;
            case FrameType.UnsupportedVersion when FramePayloads.TryDecode<UnsupportedVersionDocument>(payload, out var answer):
                parsed = parsed with { UnsupportedVersion = answer };
                reject = FrameReject.None;
                break;
        }

        if (reject != FrameReject.None)
        {
            return reject;
        }

        if (carriesBody)
        {
            reject = ReadBody(payload, codec, ref parsed);
            if (reject != FrameReject.None)
            {
                return reject;
            }
        }

        frame = parsed;
        return FrameReject.None;
    }

    // Takes the head off the front of the payload, leaving the body section.
    private static FrameReject ReadHead(FrameType type, ref ReadOnlyMemory<byte> payload, ref Frame frame)
    {
        if (payload.Length < HeadLengthFieldLength)
        {
            return FrameReject.BadLength;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(payload.Span);
        if (length == 0 || length > MaxHeadLength || length > payload.Length - HeadLengthFieldLength)
        {
            return FrameReject.BadLength;
        }

        var head = payload.Slice(HeadLengthFieldLength, (int)length);
        payload = payload[(HeadLengthFieldLength + (int)length)..];
        if (type == FrameType.RequestHead)
        {
            if (!FramePayloads.TryDecode<RequestHead>(head, out var request))
            {
                return FrameReject.BadPayload;
            }

            frame = frame with { RequestHead = request, HeadBytes = head };
            return FrameReject.None;
        }

        if (!FramePayloads.TryDecode<ResponseHead>(head, out var response))
        {
            return FrameReject.BadPayload;
        }

        frame = frame with { ResponseHead = response, HeadBytes = head };
        return FrameReject.None;
    }

    private static FrameReject ReadBody(ReadOnlyMemory<byte> section, BodyCodec codec, ref Frame frame)
    {
        long total = 0;
        if (frame.EndOfBody)
        {
            if (section.Length < TotalLength)
            {
                return FrameReject.BadLength;
            }

            total = BinaryPrimitives.ReadInt64BigEndian(section.Span[^TotalLength..]);
            section = section[..^TotalLength];
            if (total < 0)
            {
                return FrameReject.BadLength;
            }
        }

        var decodedLength = section.Length;
        if (codec != BodyCodec.None)
        {
            // A block says how long it decodes to, so the receiver can bound it before decoding.
            if (section.Length <= BodyBlock.PrefixLength)
            {
                return FrameReject.BadLength;
            }

            var declared = BinaryPrimitives.ReadUInt32BigEndian(section.Span);
            if (declared == 0 || declared > BodyBlock.MaxDecodedLength)
            {
                return FrameReject.BadLength;
            }

            decodedLength = (int)declared;
            section = section[BodyBlock.PrefixLength..];
        }

        frame = frame with { Body = section, DecodedLength = decodedLength, DeclaredTotal = total };
        return FrameReject.None;
    }
}
