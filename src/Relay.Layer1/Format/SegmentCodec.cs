using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Relay.Layer1.Identity;
using JoseException = Jose.JoseException;
using JweAlgorithm = Jose.JweAlgorithm;
using JweEncryption = Jose.JweEncryption;
using JwsAlgorithm = Jose.JwsAlgorithm;
using JWT = Jose.JWT;

namespace Relay.Layer1.Format;

/// <summary>
/// Writes and reads segment files, format version 2 (docs/protocol.md):
/// <code>
/// "RLYF" | version (2, BE, unsigned) | envelope length (4, BE, unsigned) | envelope | body frames
/// encrypted: envelope = compact JWE (ECDH-ES+A256KW, A256GCM) of a compact JWS (ES256) of the manifest
///            frame i = AES-256-GCM(body key, nonce = prefix(4) | i(8), AD = SHA-256(envelope) | i(8) | last(1)) | tag(16)
/// sign-only: envelope = compact JWS (ES256) of the manifest, which lists SHA-256 of every frame
///            frame i = plaintext
/// </code>
/// The envelope is small and standard, so any JOSE library can read it; the body is binary and
/// never base64'd, and each frame is checked on its own, so the body streams at AES or hash speed.
/// Algorithms are fixed: nothing in a file chooses how it is checked.
/// </summary>
public sealed class SegmentCodec
{
    public const int ProtocolVersion = 2;
    public const int PreambleLength = 10;
    public const int TagLength = 16;
    public const int HashLength = 32;
    public const int DefaultFrameSize = 1 << 20;
    public const string BodyContentType = "application/vnd.relay.records";
    public const string EncryptedProtection = "encrypted";
    public const string SignedOnlyProtection = "signed";

    /// <summary>Envelopes are 1–50 KB; anything over this bound is not a Relay file.</summary>
    public const int MaxEnvelopeLength = 64 * 1024;

    /// <summary>Frame sizes a reader accepts.</summary>
    public const int MinFrameSize = 1024;
    public const int MaxFrameSize = 16 << 20;

    /// <summary>A sign-only writer uses larger frames rather than list more hashes than this.</summary>
    public const int MaxHashedFrames = 1024;

    internal const string JweAlgorithmName = "ECDH-ES+A256KW";
    internal const string JweEncryptionName = "A256GCM";
    internal const string JwsAlgorithmName = "ES256";

    // Upper bound of an envelope with the longest ids and names, and of one listed frame hash; checked on every write.
    private const int EnvelopeAllowance = 4096;
    private const int HashEntryAllowance = 46;
    private const int AssociatedDataLength = 32 + 8 + 1;

    private static readonly byte[] Magic = "RLYF"u8.ToArray();
    private static readonly string[] JweHeaderMembers = ["alg", "enc", "kid", "epk", "typ", "cty"];
    private static readonly string[] JwsHeaderMembers = ["alg", "kid", "typ", "cty"];
    private static readonly string[] EphemeralKeyMembers = ["kty", "crv", "x", "y"];

    private readonly NodeKeyPair _self;
    private readonly Func<string, PeerPublicKeys?> _findPeer;
    private readonly int _frameSize;
    private readonly string _encryptionKeyId;
    private readonly Dictionary<string, object> _jwsHeaders;

    public SegmentCodec(NodeKeyPair self, Func<string, PeerPublicKeys?> findPeer, int frameSize = DefaultFrameSize)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(findPeer);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameSize, MinFrameSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameSize, MaxFrameSize);
        _self = self;
        _findPeer = findPeer;
        _frameSize = frameSize;
        _encryptionKeyId = self.PublicKeys.EncryptionKeyId;
        _jwsHeaders = new Dictionary<string, object>(StringComparer.Ordinal) { ["kid"] = self.PublicKeys.SigningKeyId };
    }

    /// <summary>An upper bound of the size of a file carrying a body of this length, in either protection.</summary>
    public int MaxFileLength(int bodyLength)
    {
        var frames = FrameCount(bodyLength, _frameSize);
        return PreambleLength + EnvelopeAllowance + (Math.Min(frames, MaxHashedFrames) * HashEntryAllowance) + bodyLength + (frames * TagLength);
    }

    /// <summary>Writes a complete segment file for the peer named in <see cref="SegmentManifest.Recipient"/>, protected as that peer is configured.</summary>
    public void Write(Stream destination, SegmentManifest manifest, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.BodyLength != body.Length)
        {
            throw new ArgumentException($"The manifest says {manifest.BodyLength} body bytes but the body has {body.Length}.", nameof(manifest));
        }

        var recipient = _findPeer(manifest.Recipient) ?? throw new ArgumentException($"'{manifest.Recipient}' is not a known peer.", nameof(manifest));
        var document = new ManifestDocument
        {
            Version = manifest.Version,
            Sender = manifest.Sender,
            Recipient = manifest.Recipient,
            Channel = manifest.Channel,
            FileName = manifest.FileName,
            CreatedUnixMilliseconds = manifest.CreatedAt.ToUnixTimeMilliseconds(),
            LamportTime = manifest.LamportTime,
            ContentType = BodyContentType,
            BodyLength = body.Length,
        };
        if (recipient.Protection == BodyProtection.SignedOnly)
        {
            WriteSignedOnly(destination, manifest.Version, document, body);
        }
        else
        {
            WriteEncrypted(destination, manifest.Version, document, body, recipient);
        }
    }

    /// <summary>
    /// Decodes a complete file held in memory. The plaintext goes to <paramref name="bodyDestination"/>
    /// (a span as long as the file always suffices). Pure: nothing outside the destination changes,
    /// and bad input never throws: it yields a reason and a detail. The steps and the reason each
    /// failure gets are those of docs/protocol.md, "Reading a file", in that order.
    /// </summary>
    public SegmentDecodeResult Decode(ReadOnlySpan<byte> file, string fileName, Span<byte> bodyDestination)
    {
        // 1–2. Preamble.
        if (file.Length < Magic.Length)
        {
            return Magic.AsSpan().StartsWith(file)
                ? SegmentDecodeResult.Reject(FileRejectReason.Truncated, file.IsEmpty ? "empty" : "shorter than the preamble")
                : SegmentDecodeResult.Reject(FileRejectReason.Malformed, "not a Relay file");
        }

        if (!file.StartsWith(Magic))
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "not a Relay file");
        }

        if (file.Length < PreambleLength)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Truncated, "shorter than the preamble");
        }

        var version = BinaryPrimitives.ReadUInt16BigEndian(file[4..]);
        if (version != ProtocolVersion)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.UnsupportedVersion, $"format version {version}");
        }

        var envelopeLength = BinaryPrimitives.ReadUInt32BigEndian(file[6..]);
        if (envelopeLength == 0 || envelopeLength > MaxEnvelopeLength)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"envelope length {envelopeLength}");
        }

        if (file.Length < PreambleLength + envelopeLength)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Truncated, "shorter than its envelope");
        }

        // 3–8. Name, envelope structure, recipient key, decryption, signature; nothing unauthenticated is believed.
        var envelope = file.Slice(PreambleLength, (int)envelopeLength);
        if (!SegmentFileName.TryParse(fileName, out var sender, out _, out _))
        {
            return SegmentDecodeResult.Reject(FileRejectReason.NameMismatch, "not a segment file name");
        }

        var parts = CompactJose.Split(envelope);
        if (parts is null)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the envelope has a byte outside base64url and '.'");
        }

        bool encrypted;
        byte[] jws;
        if (parts.Count == CompactJose.JweParts)
        {
            encrypted = true;
            var opened = OpenJwe(envelope, parts, out jws);
            if (opened is not null)
            {
                return opened.Value;
            }
        }
        else if (parts.Count == CompactJose.JwsParts)
        {
            encrypted = false;
            jws = envelope.ToArray();
        }
        else
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"the envelope has {parts.Count} parts, not 5 (JWE) or 3 (JWS)");
        }

        var verified = VerifyJws(jws, sender, out var peer, out var payload);
        if (verified is not null)
        {
            return verified.Value;
        }

        // 9–14. The authenticated manifest.
        var checkedManifest = CheckManifest(payload!, fileName, sender, encrypted, peer!, out var document);
        if (checkedManifest is not null)
        {
            return checkedManifest.Value;
        }

        // 15–16. Body.
        var bodyLength = (int)document!.BodyLength!.Value;
        var frameSize = (int)document.FrameSize!.Value;
        var frames = FrameCount(bodyLength, frameSize);
        var expected = bodyLength + (encrypted ? (long)frames * TagLength : 0);
        var present = file.Length - PreambleLength - envelopeLength;
        if (present < expected)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Truncated, $"{present} of {expected} body bytes");
        }

        if (present > expected)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"{present - expected} bytes after the last frame");
        }

        if (bodyDestination.Length < bodyLength)
        {
            throw new ArgumentException("The destination is shorter than the body.", nameof(bodyDestination));
        }

        var frameBytes = file[(PreambleLength + (int)envelopeLength)..];
        var body = bodyDestination[..bodyLength];
        var framesOk = encrypted
            ? TryReadEncryptedFrames(frameBytes, body, frameSize, document, SHA256.HashData(envelope))
            : TryReadHashedFrames(frameBytes, body, frameSize, document.FrameHashes!);
        if (!framesOk)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Corrupted, encrypted ? "a body frame failed authentication" : "a body frame does not match its signed hash");
        }

        var manifest = new SegmentManifest
        {
            Version = ProtocolVersion,
            Sender = document.Sender!,
            Recipient = document.Recipient!,
            Channel = document.Channel!,
            FileName = document.FileName!,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(document.CreatedUnixMilliseconds!.Value),
            LamportTime = document.LamportTime!.Value,
            BodyLength = bodyLength,
        };
        return new SegmentDecodeResult(null, manifest, bodyLength, null);
    }

    internal static int FrameCount(long bodyLength, int frameSize) => (int)((bodyLength + frameSize - 1) / frameSize);

    private void WriteEncrypted(Stream destination, int version, ManifestDocument document, ReadOnlySpan<byte> body, PeerPublicKeys recipient)
    {
        var bodyKey = new byte[32];
        Span<byte> noncePrefix = stackalloc byte[4];
        RandomNumberGenerator.Fill(bodyKey);
        RandomNumberGenerator.Fill(noncePrefix);
        try
        {
            document.Protection = EncryptedProtection;
            document.FrameSize = _frameSize;
            document.BodyKey = Base64Url.EncodeToString(bodyKey);
            document.NoncePrefix = Base64Url.EncodeToString(noncePrefix);
            var jws = Sign(document);
            var headers = new Dictionary<string, object>(StringComparer.Ordinal) { ["kid"] = recipient.EncryptionKeyId, ["cty"] = "JWT" };
            var envelope = Encoding.ASCII.GetBytes(JWT.EncodeBytes(Encoding.ASCII.GetBytes(jws), recipient.EncryptionKey, JweAlgorithm.ECDH_ES_A256KW, JweEncryption.A256GCM, extraHeaders: headers));
            WritePreambleAndEnvelope(destination, version, envelope);
            WriteEncryptedFrames(destination, body, bodyKey, noncePrefix, SHA256.HashData(envelope));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bodyKey);
        }
    }

    private void WriteSignedOnly(Stream destination, int version, ManifestDocument document, ReadOnlySpan<byte> body)
    {
        // Frames stay near the configured size, growing only so the hash list keeps the envelope small.
        var frameSize = Math.Max(_frameSize, (int)Math.Min(MaxFrameSize, ((long)body.Length + MaxHashedFrames - 1) / MaxHashedFrames));
        var frames = FrameCount(body.Length, frameSize);
        var hashes = new List<string>(frames);
        Span<byte> hash = stackalloc byte[HashLength];
        for (var index = 0; index < frames; index++)
        {
            SHA256.HashData(body.Slice(index * frameSize, Math.Min(frameSize, body.Length - (index * frameSize))), hash);
            hashes.Add(Base64Url.EncodeToString(hash));
        }

        document.Protection = SignedOnlyProtection;
        document.FrameSize = frameSize;
        document.FrameHashes = hashes;
        WritePreambleAndEnvelope(destination, version, Encoding.ASCII.GetBytes(Sign(document)));
        destination.Write(body);
    }

    private string Sign(ManifestDocument document) =>
        JWT.EncodeBytes(JsonSerializer.SerializeToUtf8Bytes(document, FormatJsonContext.Default.ManifestDocument), _self.SigningKey, JwsAlgorithm.ES256, _jwsHeaders);

    private static void WritePreambleAndEnvelope(Stream destination, int version, byte[] envelope)
    {
        if (envelope.Length > MaxEnvelopeLength)
        {
            throw new InvalidOperationException($"The envelope has {envelope.Length} bytes, over the {MaxEnvelopeLength} a reader accepts.");
        }

        Span<byte> preamble = stackalloc byte[PreambleLength];
        Magic.CopyTo(preamble);
        BinaryPrimitives.WriteUInt16BigEndian(preamble[4..], (ushort)version);
        BinaryPrimitives.WriteUInt32BigEndian(preamble[6..], (uint)envelope.Length);
        destination.Write(preamble);
        destination.Write(envelope);
    }

    // Steps 5–6: the JWE's structure and header, its key id, then decryption with the algorithms fixed here.
    private SegmentDecodeResult? OpenJwe(ReadOnlySpan<byte> envelope, List<Range> parts, out byte[] jws)
    {
        jws = [];
        var decoded = new byte[CompactJose.JweParts][];
        for (var i = 0; i < CompactJose.JweParts; i++)
        {
            if (CompactJose.DecodeCanonical(envelope[parts[i]]) is not { Length: > 0 } bytes)
            {
                return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"JWE part {i + 1} is empty or not canonical base64url");
            }

            decoded[i] = bytes;
        }

        var header = CompactJose.ParseHeader(decoded[0], JweHeaderMembers, "epk", out var detail);
        if (header is null)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "JWE: " + detail);
        }

        if (CompactJose.StringMember(header, "alg") != JweAlgorithmName || CompactJose.StringMember(header, "enc") != JweEncryptionName)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"the JWE is not {JweAlgorithmName}/{JweEncryptionName}");
        }

        if (CompactJose.StringMember(header, "kid") is not { } keyId)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the JWE header has no kid");
        }

        if (!header.TryGetValue("epk", out var epk) || !IsP256PublicKey(epk))
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the JWE header has no P-256 epk of kty, crv, x and y");
        }

        if (decoded[1].Length != 40 || decoded[2].Length != 12 || decoded[4].Length != TagLength)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "a JWE part has the wrong length for ECDH-ES+A256KW/A256GCM");
        }

        if (keyId != _encryptionKeyId)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.WrongRecipient, $"encrypted to key id {keyId}, this node's encryption key id is {_encryptionKeyId}");
        }

        try
        {
            jws = JWT.DecodeBytes(Encoding.ASCII.GetString(envelope), _self.EncryptionKey, JweAlgorithm.ECDH_ES_A256KW, JweEncryption.A256GCM);
        }
        catch (Exception exception) when (IsCryptoFailure(exception))
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Corrupted, "the envelope failed authentication");
        }

        return null;
    }

    // Steps 7–8: the JWS's structure and header, the sender the name gives, its key id, then the signature.
    private SegmentDecodeResult? VerifyJws(byte[] jws, string sender, out PeerPublicKeys? peer, out byte[]? payload)
    {
        peer = null;
        payload = null;
        var parts = CompactJose.Split(jws);
        if (parts is null || parts.Count != CompactJose.JwsParts)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the envelope does not hold a compact JWS");
        }

        var span = jws.AsSpan();
        var header = CompactJose.DecodeCanonical(span[parts[0]]);
        var body = CompactJose.DecodeCanonical(span[parts[1]]);
        var signature = CompactJose.DecodeCanonical(span[parts[2]]);
        if (header is null || body is null || signature is null)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "a JWS part is not canonical base64url");
        }

        var members = CompactJose.ParseHeader(header, JwsHeaderMembers, null, out var detail);
        if (members is null)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "JWS: " + detail);
        }

        if (CompactJose.StringMember(members, "alg") != JwsAlgorithmName)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"the JWS is not {JwsAlgorithmName}");
        }

        if (CompactJose.StringMember(members, "kid") is not { } keyId)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the JWS header has no kid");
        }

        peer = _findPeer(sender);
        if (peer is null)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.UnknownSender, $"'{sender}' is not a configured peer");
        }

        if (keyId != peer.SigningKeyId)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.BadSignature, $"signed with key id {keyId}, the configured key of '{peer.NodeId}' has key id {peer.SigningKeyId}");
        }

        try
        {
            payload = JWT.DecodeBytes(Encoding.ASCII.GetString(jws), peer.SigningKey, JwsAlgorithm.ES256);
        }
        catch (Exception exception) when (IsCryptoFailure(exception))
        {
            return SegmentDecodeResult.Reject(FileRejectReason.BadSignature, $"the signature does not verify under the key of '{peer.NodeId}' (key id {peer.SigningKeyId})");
        }

        return null;
    }

    // Steps 9–14, on a signed manifest: parse, version, binding to this node and this name, protection, ranges.
    private SegmentDecodeResult? CheckManifest(byte[] payload, string fileName, string sender, bool encrypted, PeerPublicKeys peer, out ManifestDocument? document)
    {
        try
        {
            document = Utf8.IsValid(payload) ? JsonSerializer.Deserialize(payload, FormatJsonContext.Default.ManifestDocument) : null;
        }
        catch (JsonException)
        {
            document = null;
        }

        if (document is null)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the manifest is not a JSON object of the documented member types");
        }

        if (document.Version is null || document.Sender is null || document.Recipient is null || document.Channel is null || document.FileName is null)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the manifest lacks one of version, sender, recipient, channel and file");
        }

        if (document.Version != ProtocolVersion)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.UnsupportedVersion, $"manifest version {document.Version.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        if (document.Recipient != _self.NodeId)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.WrongRecipient, $"addressed to '{document.Recipient}'");
        }

        if (document.Sender != sender || document.Channel != $"{sender}>{_self.NodeId}" || document.FileName != fileName)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.NameMismatch, $"signed as '{document.FileName}' on channel '{document.Channel}' from '{document.Sender}'");
        }

        var protection = document.Protection switch
        {
            EncryptedProtection => BodyProtection.Encrypted,
            SignedOnlyProtection => BodyProtection.SignedOnly,
            _ => (BodyProtection?)null,
        };
        if (protection is null || (protection == BodyProtection.Encrypted) != encrypted)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"protection '{document.Protection}' in a {(encrypted ? "JWE" : "bare JWS")} envelope");
        }

        if (protection != peer.Protection)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.ProtectionMismatch, peer.Protection == BodyProtection.Encrypted
                    ? $"the file is sign-only (its sender sets Encryption None for this node); this node expects encrypted files from '{sender}'"
                    : $"the file is encrypted; this node expects sign-only files from '{sender}' (it sets Encryption None for it)");
        }

        var inRange = document.ContentType == BodyContentType
            && document.CreatedUnixMilliseconds is >= 0 and <= 253_402_300_799_999
            && document.LamportTime is >= 0
            && document.BodyLength is >= 0 and <= int.MaxValue
            && document.FrameSize is >= MinFrameSize and <= MaxFrameSize
            && (encrypted
                ? document.FrameHashes is null && CompactJose.DecodeCanonical(document.BodyKey)?.Length == 32 && CompactJose.DecodeCanonical(document.NoncePrefix)?.Length == 4
                : document.BodyKey is null && document.NoncePrefix is null && document.FrameHashes is { } hashes
                    && hashes.Count == FrameCount(document.BodyLength.Value, (int)document.FrameSize.Value)
                    && hashes.TrueForAll(h => CompactJose.DecodeCanonical(h)?.Length == HashLength));
        return inRange ? null : SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the manifest has a missing or out-of-range field");
    }

    private static bool IsP256PublicKey(JsonElement epk)
    {
        var count = 0;
        foreach (var member in epk.EnumerateObject())
        {
            if (Array.IndexOf(EphemeralKeyMembers, member.Name) < 0 || member.Value.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            count++;
        }

        return count == EphemeralKeyMembers.Length
            && epk.GetProperty("kty").GetString() == "EC"
            && epk.GetProperty("crv").GetString() == "P-256"
            && CompactJose.DecodeCanonical(epk.GetProperty("x").GetString())?.Length == 32
            && CompactJose.DecodeCanonical(epk.GetProperty("y").GetString())?.Length == 32;
    }

    // What jose-jwt and the platform throw for a key, tag or signature that does not check out.
    private static bool IsCryptoFailure(Exception exception) =>
        exception is JoseException or CryptographicException or ArgumentException or FormatException or InvalidOperationException;

    private void WriteEncryptedFrames(Stream destination, ReadOnlySpan<byte> body, ReadOnlySpan<byte> bodyKey, ReadOnlySpan<byte> noncePrefix, ReadOnlySpan<byte> envelopeHash)
    {
        var frames = FrameCount(body.Length, _frameSize);
        if (frames == 0)
        {
            return;
        }

        using var aes = new AesGcm(bodyKey, TagLength);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(_frameSize, body.Length) + TagLength);
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> associated = stackalloc byte[AssociatedDataLength];
        try
        {
            for (var index = 0; index < frames; index++)
            {
                var plaintext = body.Slice(index * _frameSize, Math.Min(_frameSize, body.Length - (index * _frameSize)));
                FrameParameters(index, index == frames - 1, noncePrefix, envelopeHash, nonce, associated);
                aes.Encrypt(nonce, plaintext, buffer.AsSpan(0, plaintext.Length), buffer.AsSpan(plaintext.Length, TagLength), associated);
                destination.Write(buffer, 0, plaintext.Length + TagLength);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool TryReadEncryptedFrames(ReadOnlySpan<byte> frames, Span<byte> body, int frameSize, ManifestDocument document, ReadOnlySpan<byte> envelopeHash)
    {
        Span<byte> bodyKey = stackalloc byte[32];
        Span<byte> noncePrefix = stackalloc byte[4];
        Base64Url.DecodeFromChars(document.BodyKey, bodyKey);
        Base64Url.DecodeFromChars(document.NoncePrefix, noncePrefix);
        try
        {
            var count = FrameCount(body.Length, frameSize);
            using var aes = new AesGcm(bodyKey, TagLength);
            Span<byte> nonce = stackalloc byte[12];
            Span<byte> associated = stackalloc byte[AssociatedDataLength];
            var offset = 0;
            for (var index = 0; index < count; index++)
            {
                var length = Math.Min(frameSize, body.Length - (index * frameSize));
                FrameParameters(index, index == count - 1, noncePrefix, envelopeHash, nonce, associated);
                try
                {
                    aes.Decrypt(nonce, frames.Slice(offset, length), frames.Slice(offset + length, TagLength), body.Slice(index * frameSize, length), associated);
                }
                catch (AuthenticationTagMismatchException)
                {
                    return false;
                }

                offset += length + TagLength;
            }

            return true;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bodyKey);
        }
    }

    // Each frame is checked against its signed hash before it is copied out, so one frame verifies on its own.
    private static bool TryReadHashedFrames(ReadOnlySpan<byte> frames, Span<byte> body, int frameSize, List<string> hashes)
    {
        Span<byte> actual = stackalloc byte[HashLength];
        Span<byte> listed = stackalloc byte[HashLength];
        for (var index = 0; index < hashes.Count; index++)
        {
            var frame = frames.Slice(index * frameSize, Math.Min(frameSize, body.Length - (index * frameSize)));
            SHA256.HashData(frame, actual);
            Base64Url.DecodeFromChars(hashes[index], listed);
            if (!CryptographicOperations.FixedTimeEquals(actual, listed))
            {
                return false;
            }

            frame.CopyTo(body[(index * frameSize)..]);
        }

        return true;
    }

    // Nonce = prefix | index; AD = SHA-256(envelope) | index | last flag: a frame cannot move to another file, place, or end.
    private static void FrameParameters(long index, bool isLast, ReadOnlySpan<byte> noncePrefix, ReadOnlySpan<byte> envelopeHash, Span<byte> nonce, Span<byte> associated)
    {
        noncePrefix.CopyTo(nonce);
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
        envelopeHash.CopyTo(associated);
        BinaryPrimitives.WriteInt64BigEndian(associated[32..], index);
        associated[40] = isLast ? (byte)1 : (byte)0;
    }
}
