using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Relay.Layer1.Identity;

namespace Relay.Layer1.Format;

/// <summary>
/// Writes and reads segment files, format version 1 (docs/protocol.md):
/// <code>
/// "RLYF" | version (2, BE) | envelope length (4, BE) | envelope | body frames
/// envelope = compact JWE (RSA-OAEP, A256CBC-HS512) of a compact JWS (ES256) of the manifest
/// frame i = AES-256-GCM(body key, nonce = prefix(4) | i(8, BE), AD = SHA-256(envelope) | i(8, BE) | last(1)) as ciphertext | tag(16)
/// </code>
/// The envelope is small and standard, so any JOSE library can read it; the body is binary and
/// never base64'd, and each frame is authenticated on its own, so the body streams at AES speed.
/// </summary>
public sealed class SegmentCodec
{
    public const int ProtocolVersion = 1;
    public const int PreambleLength = 10;
    public const int TagLength = 16;
    public const int DefaultFrameSize = 1 << 20;
    public const string BodyContentType = "application/vnd.relay.records";

    /// <summary>Envelopes are about 2 KB; anything near this bound is not a Relay file.</summary>
    public const int MaxEnvelopeLength = 64 * 1024;

    /// <summary>Frame sizes a reader accepts.</summary>
    public const int MinFrameSize = 1024;
    public const int MaxFrameSize = 16 << 20;

    // Upper bound of an envelope with the longest ids and names; checked on every write.
    private const int EnvelopeAllowance = 4096;
    private const int AssociatedDataLength = 32 + 8 + 1;

    private static readonly byte[] Magic = "RLYF"u8.ToArray();

    private readonly NodeKeyPair _self;
    private readonly Func<string, PeerPublicKeys?> _findPeer;
    private readonly int _frameSize;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials _signing;
    private readonly string _encryptionKeyId;
    private readonly TokenValidationParameters _decryption;
    private readonly ConcurrentDictionary<string, EncryptingCredentials> _encryptingByPeer = new(StringComparer.Ordinal);

    public SegmentCodec(NodeKeyPair self, Func<string, PeerPublicKeys?> findPeer, int frameSize = DefaultFrameSize)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(findPeer);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameSize, MinFrameSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameSize, MaxFrameSize);
        _self = self;
        _findPeer = findPeer;
        _frameSize = frameSize;
        _signing = new SigningCredentials(new ECDsaSecurityKey(self.SigningKey) { KeyId = self.PublicKeys.SigningKeyId }, SecurityAlgorithms.EcdsaSha256);
        _encryptionKeyId = self.PublicKeys.EncryptionKeyId;
        _decryption = new TokenValidationParameters
        {
            TokenDecryptionKey = new RsaSecurityKey(self.EncryptionKey) { KeyId = _encryptionKeyId },
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        };
    }

    /// <summary>An upper bound of the size of a file carrying a body of this length.</summary>
    public int MaxFileLength(int bodyLength) => PreambleLength + EnvelopeAllowance + bodyLength + (FrameCount(bodyLength, _frameSize) * TagLength);

    /// <summary>Writes a complete segment file for the peer named in <see cref="SegmentManifest.Recipient"/>.</summary>
    public void Write(Stream destination, SegmentManifest manifest, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.BodyLength != body.Length)
        {
            throw new ArgumentException($"The manifest says {manifest.BodyLength} body bytes but the body has {body.Length}.", nameof(manifest));
        }

        var recipient = _findPeer(manifest.Recipient) ?? throw new ArgumentException($"'{manifest.Recipient}' is not a known peer.", nameof(manifest));
        Span<byte> bodyKey = stackalloc byte[32];
        Span<byte> noncePrefix = stackalloc byte[4];
        RandomNumberGenerator.Fill(bodyKey);
        RandomNumberGenerator.Fill(noncePrefix);
        try
        {
            var payload = JsonSerializer.Serialize(
                new ManifestDocument
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
                    FrameSize = _frameSize,
                    BodyKey = Base64Url.EncodeToString(bodyKey),
                    NoncePrefix = Base64Url.EncodeToString(noncePrefix),
                },
                FormatJsonContext.Default.ManifestDocument);
            var envelope = Encoding.ASCII.GetBytes(_handler.CreateToken(payload, _signing, EncryptingFor(recipient)));
            if (envelope.Length > EnvelopeAllowance)
            {
                throw new InvalidOperationException($"The envelope has {envelope.Length} bytes, over the {EnvelopeAllowance} allowed for.");
            }

            Span<byte> preamble = stackalloc byte[PreambleLength];
            Magic.CopyTo(preamble);
            BinaryPrimitives.WriteUInt16BigEndian(preamble[4..], (ushort)manifest.Version);
            BinaryPrimitives.WriteInt32BigEndian(preamble[6..], envelope.Length);
            destination.Write(preamble);
            destination.Write(envelope);
            WriteFrames(destination, body, bodyKey, noncePrefix, SHA256.HashData(envelope));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bodyKey);
        }
    }

    /// <summary>
    /// Decodes a complete file held in memory. The plaintext goes to <paramref name="bodyDestination"/>
    /// (a span as long as the file always suffices). Pure: nothing outside the destination changes,
    /// and bad input never throws: it yields a reason and a detail.
    /// </summary>
    public SegmentDecodeResult Decode(ReadOnlySpan<byte> file, string fileName, Span<byte> bodyDestination)
    {
        if (file.Length < Magic.Length)
        {
            return Magic.AsSpan().StartsWith(file)
                ? SegmentDecodeResult.Reject(FileRejectReason.Truncated, "shorter than the preamble")
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

        var envelopeLength = BinaryPrimitives.ReadInt32BigEndian(file[6..]);
        if (envelopeLength <= 0 || envelopeLength > MaxEnvelopeLength)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"envelope length {envelopeLength}");
        }

        if (file.Length < PreambleLength + envelopeLength)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Truncated, "shorter than its envelope");
        }

        var envelope = file.Slice(PreambleLength, envelopeLength);
        var opened = OpenEnvelope(envelope, fileName, out var manifest, out var document);
        if (!opened.IsAccepted)
        {
            return opened;
        }

        var frames = FrameCount(document!.BodyLength, document.FrameSize);
        var expected = document.BodyLength + ((long)frames * TagLength);
        var present = file.Length - PreambleLength - envelopeLength;
        if (present < expected)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Truncated, $"{present} of {expected} body bytes");
        }

        if (present > expected)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, $"{present - expected} bytes after the last frame");
        }

        if (bodyDestination.Length < document.BodyLength)
        {
            throw new ArgumentException("The destination is shorter than the body.", nameof(bodyDestination));
        }

        Span<byte> bodyKey = stackalloc byte[32];
        Span<byte> noncePrefix = stackalloc byte[4];
        Base64Url.DecodeFromChars(document.BodyKey, bodyKey);
        Base64Url.DecodeFromChars(document.NoncePrefix, noncePrefix);
        try
        {
            if (!TryReadFrames(file[(PreambleLength + envelopeLength)..], bodyDestination[..(int)document.BodyLength], document.FrameSize, bodyKey, noncePrefix, SHA256.HashData(envelope)))
            {
                return SegmentDecodeResult.Reject(FileRejectReason.Corrupted, "a body frame failed authentication");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bodyKey);
        }

        return new SegmentDecodeResult(null, manifest, (int)document.BodyLength, null);
    }

    internal static int FrameCount(long bodyLength, int frameSize) => (int)((bodyLength + frameSize - 1) / frameSize);

    // Decrypts the JWE, checks the JWS and the manifest's fields; the body is not touched here.
    private SegmentDecodeResult OpenEnvelope(ReadOnlySpan<byte> envelopeBytes, string fileName, out SegmentManifest? manifest, out ManifestDocument? document)
    {
        manifest = null;
        document = null;
        string innerToken;
        try
        {
            var outer = new JsonWebToken(Encoding.ASCII.GetString(envelopeBytes));
            if (!outer.IsEncrypted || outer.Alg != SecurityAlgorithms.RsaOAEP || outer.Enc != SecurityAlgorithms.Aes256CbcHmacSha512)
            {
                return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the envelope is not an RSA-OAEP/A256CBC-HS512 JWE");
            }

            if (outer.Kid != _encryptionKeyId)
            {
                return SegmentDecodeResult.Reject(FileRejectReason.WrongRecipient, $"encrypted to key id {outer.Kid ?? "(none)"}, this node's encryption key id is {_encryptionKeyId}");
            }

            try
            {
                innerToken = _handler.DecryptToken(outer, _decryption);
            }
            catch (Exception exception) when (exception is SecurityTokenException or CryptographicException or ArgumentException)
            {
                return SegmentDecodeResult.Reject(FileRejectReason.Corrupted, "the envelope failed authentication");
            }
        }
        catch (Exception exception) when (exception is ArgumentException or SecurityTokenException or JsonException or FormatException)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the envelope is not a compact JWE");
        }

        var parts = innerToken.Split('.');
        if (parts.Length != 3)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the envelope does not hold a compact JWS");
        }

        JwsHeaderDocument? header;
        byte[] signature;
        try
        {
            header = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(parts[0]), FormatJsonContext.Default.JwsHeaderDocument);
            document = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(parts[1]), FormatJsonContext.Default.ManifestDocument);
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (Exception exception) when (exception is JsonException or FormatException)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the JWS does not parse");
        }

        if (header is null || document is null || header.Algorithm != SecurityAlgorithms.EcdsaSha256)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the JWS is not ES256");
        }

        if (document.Version != ProtocolVersion)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.UnsupportedVersion, $"manifest version {document.Version}");
        }

        if (document.Recipient != _self.NodeId)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.WrongRecipient, $"addressed to '{document.Recipient}'");
        }

        var sender = document.Sender is null ? null : _findPeer(document.Sender);
        if (sender is null)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.UnknownSender, $"'{document.Sender}' is not a configured peer");
        }

        var signingInput = Encoding.ASCII.GetBytes(innerToken, 0, parts[0].Length + 1 + parts[1].Length);
        if (header.KeyId != sender.SigningKeyId || !sender.SigningKey.VerifyData(signingInput, signature, HashAlgorithmName.SHA256))
        {
            return SegmentDecodeResult.Reject(
                FileRejectReason.BadSignature,
                header.KeyId == sender.SigningKeyId
                    ? $"the signature does not verify under the key of '{document.Sender}' (key id {sender.SigningKeyId})"
                    : $"signed with key id {header.KeyId ?? "(none)"}, the configured key of '{document.Sender}' has key id {sender.SigningKeyId}");
        }

        if (document.FileName != fileName)
        {
            return SegmentDecodeResult.Reject(FileRejectReason.NameMismatch, $"signed as '{document.FileName}'");
        }

        if (document.ContentType != BodyContentType || document.Channel is null || document.BodyLength < 0 || document.BodyLength > int.MaxValue
            || document.FrameSize < MinFrameSize || document.FrameSize > MaxFrameSize
            || !HasDecodedLength(document.BodyKey, 32) || !HasDecodedLength(document.NoncePrefix, 4))
        {
            return SegmentDecodeResult.Reject(FileRejectReason.Malformed, "the manifest has a missing or out-of-range field");
        }

        manifest = new SegmentManifest
        {
            Version = document.Version,
            Sender = document.Sender!,
            Recipient = document.Recipient,
            Channel = document.Channel,
            FileName = document.FileName,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(document.CreatedUnixMilliseconds),
            LamportTime = document.LamportTime,
            BodyLength = document.BodyLength,
        };
        return new SegmentDecodeResult(null, manifest, (int)document.BodyLength, null);
    }

    private void WriteFrames(Stream destination, ReadOnlySpan<byte> body, ReadOnlySpan<byte> bodyKey, ReadOnlySpan<byte> noncePrefix, ReadOnlySpan<byte> envelopeHash)
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

    private static bool TryReadFrames(ReadOnlySpan<byte> frames, Span<byte> body, int frameSize, ReadOnlySpan<byte> bodyKey, ReadOnlySpan<byte> noncePrefix, ReadOnlySpan<byte> envelopeHash)
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

    // Nonce = prefix | index; AD = SHA-256(envelope) | index | last flag: a frame cannot move to another file, place, or end.
    private static void FrameParameters(long index, bool isLast, ReadOnlySpan<byte> noncePrefix, ReadOnlySpan<byte> envelopeHash, Span<byte> nonce, Span<byte> associated)
    {
        noncePrefix.CopyTo(nonce);
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
        envelopeHash.CopyTo(associated);
        BinaryPrimitives.WriteInt64BigEndian(associated[32..], index);
        associated[40] = isLast ? (byte)1 : (byte)0;
    }

    private static bool HasDecodedLength(string? base64Url, int length) =>
        base64Url is not null && Base64Url.IsValid(base64Url, out var decoded) && decoded == length;

    private EncryptingCredentials EncryptingFor(PeerPublicKeys peer) =>
        _encryptingByPeer.GetOrAdd(
            peer.EncryptionKeyId,
            static (keyId, key) => new EncryptingCredentials(new RsaSecurityKey(key) { KeyId = keyId }, SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512),
            peer.EncryptionKey);
}
