using System.Buffers.Binary;
using Base64Url = System.Buffers.Text.Base64Url;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Jose;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Format;

/// <summary>
/// Builds site-a → site-b files with an empty body piece by piece, so a test can break exactly one
/// rule of the envelope or the manifest while keeping every signature and tag valid.
/// </summary>
internal sealed class HandMadeEnvelope
{
    public HandMadeEnvelope(bool encrypted = true)
    {
        Encrypted = encrypted;
        Name = SegmentFileName.Create("site-a", "site-b", 1);
        Manifest = new JsonObject
        {
            ["version"] = SegmentCodec.ProtocolVersion,
            ["sender"] = "site-a",
            ["recipient"] = "site-b",
            ["channel"] = "site-a>site-b",
            ["file"] = Name,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            ["lamport"] = 5,
            ["content_type"] = SegmentCodec.BodyContentType,
            ["protection"] = encrypted ? SegmentCodec.EncryptedProtection : SegmentCodec.SignedOnlyProtection,
            ["length"] = 0,
            ["frame_size"] = SegmentCodec.MinFrameSize,
        };
        if (encrypted)
        {
            Manifest["body_key"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
            Manifest["nonce_prefix"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(4));
        }
        else
        {
            Manifest["frame_hashes"] = new JsonArray();
        }

        JwsHeaders = new Dictionary<string, object> { ["kid"] = TestKeys.SiteA.PublicKeys.SigningKeyId };
        JweHeaders = new Dictionary<string, object> { ["kid"] = TestKeys.SiteB.PublicKeys.EncryptionKeyId, ["cty"] = "JWT" };
    }

    public bool Encrypted { get; }

    public string Name { get; }

    public JsonObject Manifest { get; }

    /// <summary>Set to send the manifest as these exact bytes instead of <see cref="Manifest"/>.</summary>
    public byte[]? ManifestBytes { get; set; }

    /// <summary>Members of the JWS header besides <c>alg</c>, which the library writes.</summary>
    public Dictionary<string, object> JwsHeaders { get; }

    /// <summary>Members of the JWE header besides <c>alg</c>, <c>enc</c> and <c>epk</c>.</summary>
    public Dictionary<string, object> JweHeaders { get; }

    public JweCompression? Compression { get; set; }

    public NodeKeyPair Signer { get; set; } = TestKeys.SiteA;

    public string Jws() =>
        JWT.EncodeBytes(ManifestBytes ?? Encoding.UTF8.GetBytes(Manifest.ToJsonString()), Signer.SigningKey, JwsAlgorithm.ES256, JwsHeaders);

    public string Envelope() =>
        Encrypted
            ? JWT.EncodeBytes(Encoding.ASCII.GetBytes(Jws()), TestKeys.SiteB.PublicKeys.EncryptionKey, JweAlgorithm.ECDH_ES_A256KW, JweEncryption.A256GCM, Compression, JweHeaders)
            : Jws();

    public byte[] File() => WithEnvelope(Encoding.ASCII.GetBytes(Envelope()));

    /// <summary>A file with this exact envelope behind a valid version 2 preamble.</summary>
    public static byte[] WithEnvelope(byte[] envelope)
    {
        var file = new byte[SegmentCodec.PreambleLength + envelope.Length];
        "RLYF"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(4), SegmentCodec.ProtocolVersion);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(6), (uint)envelope.Length);
        envelope.CopyTo(file, SegmentCodec.PreambleLength);
        return file;
    }
}
