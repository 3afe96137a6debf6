using System.Text.Json.Nodes;
using Relay.Layer1.Format;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Format;

/// <summary>The manifest's member types and ranges (docs/protocol.md, "Manifest"), each bound tried on both sides.</summary>
public sealed class ManifestRulesTests
{
    private readonly SegmentCodec _siteB = SegmentCodecTests.CodecFor(TestKeys.SiteB, TestKeys.SiteA);

    [Theory]
    [InlineData("created", 0)]
    [InlineData("created", 253_402_300_799_999)]
    [InlineData("lamport", 0)]
    [InlineData("lamport", long.MaxValue)]
    [InlineData("frame_size", 1024)]
    [InlineData("frame_size", 16 * 1024 * 1024)]
    public void ValueAtTheEdgeOfItsRange_IsAccepted(string member, long value)
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest[member] = value;
        var result = Decode(envelope);
        Assert.True(result.IsAccepted, result.Detail);
    }

    [Theory]
    [InlineData("created", -1)]
    [InlineData("created", 253_402_300_800_000)]
    [InlineData("lamport", -1)]
    [InlineData("frame_size", 1023)]
    [InlineData("frame_size", (16 * 1024 * 1024) + 1)]
    [InlineData("length", -1)]
    [InlineData("length", 2147483648)]
    public void ValueOutsideItsRange_IsMalformed(string member, long value)
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest[member] = value;
        Assert.Equal(FileRejectReason.Malformed, Decode(envelope).Reason);
    }

    [Theory]
    [InlineData("version")]
    [InlineData("sender")]
    [InlineData("recipient")]
    [InlineData("channel")]
    [InlineData("file")]
    [InlineData("created")]
    [InlineData("lamport")]
    [InlineData("length")]
    [InlineData("frame_size")]
    [InlineData("content_type")]
    [InlineData("protection")]
    [InlineData("body_key")]
    [InlineData("nonce_prefix")]
    public void MissingMember_IsMalformed(string member)
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest.Remove(member);
        Assert.Equal(FileRejectReason.Malformed, Decode(envelope).Reason);
    }

    [Theory]
    [InlineData("version", "\"2\"")]
    [InlineData("version", "2.0")]
    [InlineData("created", "1.5")]
    [InlineData("lamport", "\"5\"")]
    [InlineData("length", "null")]
    [InlineData("sender", "5")]
    [InlineData("frame_hashes", "\"x\"")]
    [InlineData("version", "9223372036854775808")]
    [InlineData("lamport", "9223372036854775808")]
    public void MemberOfTheWrongJsonType_IsMalformed(string member, string json)
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest[member] = JsonNode.Parse(json);
        if (json == "null")
        {
            envelope.Manifest[member] = null;
        }

        Assert.Equal(FileRejectReason.Malformed, Decode(envelope).Reason);
    }

    [Fact]
    public void DuplicateMember_IsMalformed()
    {
        var envelope = new HandMadeEnvelope();
        var json = envelope.Manifest.ToJsonString();
        envelope.ManifestBytes = System.Text.Encoding.UTF8.GetBytes(json.TrimEnd('}') + ",\"lamport\":6}");
        Assert.Equal(FileRejectReason.Malformed, Decode(envelope).Reason);
    }

    [Fact]
    public void UnknownMember_IsIgnored()
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest["later_extension"] = "x";
        Assert.True(Decode(envelope).IsAccepted);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1L << 40)]
    public void SignedManifestOfAnotherVersion_IsUnsupportedVersion(long version)
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest["version"] = version;
        Assert.Equal(FileRejectReason.UnsupportedVersion, Decode(envelope).Reason);
    }

    [Theory]
    [InlineData("body_key", 31)]
    [InlineData("body_key", 33)]
    [InlineData("nonce_prefix", 3)]
    public void KeyMaterialOfTheWrongLength_IsMalformed(string member, int bytes)
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest[member] = System.Buffers.Text.Base64Url.EncodeToString(new byte[bytes]);
        Assert.Equal(FileRejectReason.Malformed, Decode(envelope).Reason);
    }

    [Fact]
    public void SignedOnlyManifest_WithABodyKey_IsMalformed()
    {
        var envelope = new HandMadeEnvelope(encrypted: false);
        envelope.Manifest["body_key"] = System.Buffers.Text.Base64Url.EncodeToString(new byte[32]);
        var reader = SegmentCodecTests.SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA);
        Assert.Equal(FileRejectReason.Malformed, reader.Decode(envelope.File(), envelope.Name, new byte[16]).Reason);
    }

    [Fact]
    public void SignedOnlyManifest_ListingMoreHashesThanFrames_IsMalformed()
    {
        var envelope = new HandMadeEnvelope(encrypted: false);
        envelope.Manifest["frame_hashes"] = new JsonArray(System.Buffers.Text.Base64Url.EncodeToString(new byte[32]));
        var reader = SegmentCodecTests.SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA);
        Assert.Equal(FileRejectReason.Malformed, reader.Decode(envelope.File(), envelope.Name, new byte[16]).Reason);
    }

    [Theory]
    [InlineData("sender", "site-c")]
    [InlineData("channel", "site-a>site-c")]
    [InlineData("file", "site-a_site-b_0000000000000009_00000000.relay")]
    public void SignedBindingThatDiffersFromTheName_IsNameMismatch(string member, string value)
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest[member] = value;
        Assert.Equal(FileRejectReason.NameMismatch, Decode(envelope).Reason);
    }

    [Fact]
    public void SignedRecipientOfAnotherNode_IsWrongRecipient()
    {
        var envelope = new HandMadeEnvelope();
        envelope.Manifest["recipient"] = "site-c";
        Assert.Equal(FileRejectReason.WrongRecipient, Decode(envelope).Reason);
    }

    private SegmentDecodeResult Decode(HandMadeEnvelope envelope) => _siteB.Decode(envelope.File(), envelope.Name, new byte[16]);
}
