using Base64Url = System.Buffers.Text.Base64Url;
using System.Text;
using Jose;
using Relay.Layer1.Format;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Format;

/// <summary>The rules of docs/protocol.md, "Envelope": each broken one gets the reason the spec gives it.</summary>
public sealed class EnvelopeRulesTests
{
    private readonly SegmentCodec _siteB = SegmentCodecTests.CodecFor(TestKeys.SiteB, TestKeys.SiteA);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void HandMadeEnvelope_FollowingEveryRule_IsAccepted(bool encrypted)
    {
        var envelope = new HandMadeEnvelope(encrypted);
        var reader = encrypted ? _siteB : SegmentCodecTests.SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA);
        var result = reader.Decode(envelope.File(), envelope.Name, new byte[16]);
        Assert.True(result.IsAccepted, result.Detail);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(6)]
    public void EnvelopeWithAnotherPartCount_IsMalformed(int parts)
    {
        var envelope = new HandMadeEnvelope();
        var compact = string.Join('.', envelope.Envelope().Split('.').Concat(Enumerable.Repeat("AAAA", 6)).Take(parts));
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope, compact));
    }

    [Theory]
    [InlineData("=")]
    [InlineData("+")]
    [InlineData("/")]
    [InlineData(" ")]
    [InlineData("é")]
    public void EnvelopeWithACharacterOutsideBase64Url_IsMalformed(string character)
    {
        var envelope = new HandMadeEnvelope();
        var compact = envelope.Envelope();
        var firstDot = compact.IndexOf('.', StringComparison.Ordinal);
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope, compact.Insert(firstDot, character)));
    }

    [Fact]
    public void JweHeaderThatIsNotJson_IsMalformed()
    {
        var envelope = new HandMadeEnvelope();
        var parts = envelope.Envelope().Split('.');
        parts[0] = Base64Url.EncodeToString("{\"alg\":\"ECDH-ES+A256KW\","u8);
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope, string.Join('.', parts)));
    }

    [Fact]
    public void JweHeaderWithADuplicateMember_IsMalformed()
    {
        var envelope = new HandMadeEnvelope();
        var parts = envelope.Envelope().Split('.');
        var header = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0]));
        parts[0] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.TrimEnd('}') + ",\"kid\":\"other\"}"));
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope, string.Join('.', parts)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void NonCanonicalBase64UrlInAJwePart_IsMalformed(int part)
    {
        var envelope = new HandMadeEnvelope();
        var parts = envelope.Envelope().Split('.');
        parts[part] = NonCanonical(parts[part]);
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope, string.Join('.', parts)));
    }

    [Fact]
    public void NonCanonicalBase64UrlInTheJwsSignature_IsMalformed()
    {
        var envelope = new HandMadeEnvelope(encrypted: false);
        var parts = envelope.Envelope().Split('.');
        parts[2] = NonCanonical(parts[2]);
        var reader = SegmentCodecTests.SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA);
        Assert.Equal(FileRejectReason.Malformed, reader.Decode(HandMadeEnvelope.WithEnvelope(Encoding.ASCII.GetBytes(string.Join('.', parts))), envelope.Name, new byte[16]).Reason);
    }

    [Theory]
    [InlineData("typ")]
    [InlineData("cty")]
    public void TypAndCty_AreAllowedInBothHeaders(string member)
    {
        var envelope = new HandMadeEnvelope();
        envelope.JweHeaders[member] = "JWT";
        envelope.JwsHeaders[member] = "JWT";
        var result = _siteB.Decode(envelope.File(), envelope.Name, new byte[16]);
        Assert.True(result.IsAccepted, result.Detail);
    }

    [Fact]
    public void ZipInTheJweHeader_IsMalformed()
    {
        var envelope = new HandMadeEnvelope { Compression = JweCompression.DEF };
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope));
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("crit")]
    [InlineData("jku")]
    [InlineData("apu")]
    public void OtherMembersInEitherHeader_AreMalformed(string member)
    {
        var inJwe = new HandMadeEnvelope();
        inJwe.JweHeaders[member] = "DEF";
        var inJws = new HandMadeEnvelope();
        inJws.JwsHeaders[member] = "DEF";

        Assert.Equal(FileRejectReason.Malformed, Reason(inJwe));
        Assert.Equal(FileRejectReason.Malformed, Reason(inJws));
    }

    [Fact]
    public void CritAsAnArray_IsMalformed()
    {
        var envelope = new HandMadeEnvelope();
        envelope.JwsHeaders["crit"] = new[] { "exp" };
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope));
    }

    [Fact]
    public void MissingKidInTheJwe_IsMalformed()
    {
        var envelope = new HandMadeEnvelope();
        envelope.JweHeaders.Remove("kid");
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope));
    }

    [Fact]
    public void MissingKidInTheJws_IsMalformed()
    {
        var envelope = new HandMadeEnvelope();
        envelope.JwsHeaders.Remove("kid");
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope));
    }

    [Fact]
    public void JweToAnotherKeyId_IsWrongRecipient()
    {
        var envelope = new HandMadeEnvelope();
        envelope.JweHeaders["kid"] = TestKeys.Stranger.PublicKeys.EncryptionKeyId;
        Assert.Equal(FileRejectReason.WrongRecipient, Reason(envelope));
    }

    [Fact]
    public void JweWithAnotherAlgorithm_IsMalformed_AndIsNeverDecryptedWithIt()
    {
        var envelope = new HandMadeEnvelope();
        var jws = Encoding.ASCII.GetBytes(envelope.Jws());
        var direct = JWT.EncodeBytes(jws, TestKeys.SiteB.PublicKeys.EncryptionKey, JweAlgorithm.ECDH_ES, JweEncryption.A256GCM, null, envelope.JweHeaders);
        var cbc = JWT.EncodeBytes(jws, TestKeys.SiteB.PublicKeys.EncryptionKey, JweAlgorithm.ECDH_ES_A256KW, JweEncryption.A256CBC_HS512, null, envelope.JweHeaders);

        Assert.Equal(FileRejectReason.Malformed, Reason(envelope, direct));
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope, cbc));
    }

    [Fact]
    public void JwsWithAnotherAlgorithm_IsMalformed()
    {
        var envelope = new HandMadeEnvelope();
        var hmac = JWT.Encode(envelope.Manifest.ToJsonString(), new byte[32], JwsAlgorithm.HS256, envelope.JwsHeaders);
        var jwe = JWT.EncodeBytes(Encoding.ASCII.GetBytes(hmac), TestKeys.SiteB.PublicKeys.EncryptionKey, JweAlgorithm.ECDH_ES_A256KW, JweEncryption.A256GCM, null, envelope.JweHeaders);
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope, jwe));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(72)]
    public void SignatureThatIsNot64Bytes_IsBadSignature(int length)
    {
        var envelope = new HandMadeEnvelope(encrypted: false);
        var parts = envelope.Envelope().Split('.');
        parts[2] = Base64Url.EncodeToString(new byte[length]);
        var reader = SegmentCodecTests.SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA);
        var file = HandMadeEnvelope.WithEnvelope(Encoding.ASCII.GetBytes(string.Join('.', parts)));
        Assert.Equal(FileRejectReason.BadSignature, reader.Decode(file, envelope.Name, new byte[16]).Reason);
    }

    [Fact]
    public void InvalidManifestUnderABadSignature_IsBadSignature_BecauseTheSignatureIsCheckedFirst()
    {
        var envelope = new HandMadeEnvelope { Signer = TestKeys.ForgedSiteA, ManifestBytes = "not json"u8.ToArray() };
        envelope.JwsHeaders["kid"] = TestKeys.SiteA.PublicKeys.SigningKeyId;
        Assert.Equal(FileRejectReason.BadSignature, Reason(envelope));
    }

    [Fact]
    public void SignedOnlyManifestInsideAJwe_IsMalformed()
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest["protection"] = SegmentCodec.SignedOnlyProtection;
        envelope.Manifest.Remove("body_key");
        envelope.Manifest.Remove("nonce_prefix");
        envelope.Manifest["frame_hashes"] = new System.Text.Json.Nodes.JsonArray();
        Assert.Equal(FileRejectReason.Malformed, Reason(envelope));
    }

    private FileRejectReason? Reason(HandMadeEnvelope envelope, string? compact = null)
    {
        var file = compact is null ? envelope.File() : HandMadeEnvelope.WithEnvelope(Encoding.UTF8.GetBytes(compact));
        return _siteB.Decode(file, envelope.Name, new byte[Math.Max(file.Length, 16)]).Reason;
    }

    // The same bytes spelled with non-zero unused bits in the last character, which lenient decoders (jose-jwt's among them) accept.
    private static string NonCanonical(string part)
    {
        Assert.NotEqual(0, part.Length % 4);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var last = alphabet.IndexOf(part[^1], StringComparison.Ordinal);
        var changed = part[..^1] + alphabet[last ^ 1];
        Assert.Equal(Jose.Base64Url.Decode(part), Jose.Base64Url.Decode(changed));
        return changed;
    }
}
