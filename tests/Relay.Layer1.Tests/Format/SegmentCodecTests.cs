using System.Text;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Format;

public sealed class SegmentCodecTests
{
    private const int FrameSize = 1024;
    private readonly SegmentCodec _siteA = CodecFor(TestKeys.SiteA, TestKeys.SiteB);
    private readonly SegmentCodec _siteB = CodecFor(TestKeys.SiteB, TestKeys.SiteA);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(FrameSize)]
    [InlineData(FrameSize + 1)]
    [InlineData((10 * FrameSize) + 77)]
    public void WrittenFile_DecodesToTheSameBodyAndManifest(int length)
    {
        var body = TestPayloads.Create(11, length, length);
        var (name, file) = Write(_siteA, body);

        var decoded = Decode(_siteB, file, name, out var plaintext);

        Assert.True(decoded.IsAccepted, decoded.Detail);
        Assert.Equal(body, plaintext);
        Assert.Equal("site-a", decoded.Manifest!.Sender);
        Assert.Equal("site-b", decoded.Manifest.Recipient);
        Assert.Equal("site-a>site-b", decoded.Manifest.Channel);
        Assert.Equal(name, decoded.Manifest.FileName);
        Assert.Equal(77, decoded.Manifest.LamportTime);
        Assert.True(file.Length <= _siteA.MaxFileLength(length), "MaxFileLength is an upper bound");
    }

    [Fact]
    public void BodyIsNeverStoredInTheClear()
    {
        var body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("plain text that must not appear ", 100)));
        var (_, file) = Write(_siteA, body);
        Assert.DoesNotContain("must not appear", Encoding.ASCII.GetString(file), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(9)]
    [InlineData(200)]
    public void FileCutBeforeTheBody_IsTruncated(int keep)
    {
        var (name, file) = Write(_siteA, new byte[3000]);
        Assert.Equal(FileRejectReason.Truncated, Decode(_siteB, file.AsSpan(0, keep).ToArray(), name, out _).Reason);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1500)]
    [InlineData(3000 + (3 * SegmentCodec.TagLength) - 1)]
    public void FileCutInsideTheBody_IsTruncated(int bodyBytesKept)
    {
        var (name, file) = Write(_siteA, new byte[3000]);
        var bodyStart = file.Length - 3000 - (3 * SegmentCodec.TagLength);
        Assert.Equal(FileRejectReason.Truncated, Decode(_siteB, file.AsSpan(0, bodyStart + bodyBytesKept).ToArray(), name, out _).Reason);
    }

    [Fact]
    public void ChangedEnvelopeCiphertext_IsCorrupted()
    {
        var (name, file) = Write(_siteA, new byte[100]);
        var envelope = Encoding.ASCII.GetString(file, SegmentCodec.PreambleLength, EnvelopeLength(file));
        var parts = envelope.Split('.');
        var ciphertextStart = SegmentCodec.PreambleLength + parts[0].Length + parts[1].Length + parts[2].Length + 3;
        var position = ciphertextStart + 10;
        file[position] = file[position] == (byte)'A' ? (byte)'B' : (byte)'A';

        Assert.Equal(FileRejectReason.Corrupted, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void FlippedBitInABodyFrame_IsCorrupted()
    {
        var (name, file) = Write(_siteA, new byte[5000]);
        file[^2000] ^= 0x10;
        Assert.Equal(FileRejectReason.Corrupted, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void SwappedFrames_AreCorrupted()
    {
        var (name, file) = Write(_siteA, TestPayloads.Create(12, 0, 3 * FrameSize));
        var frame = FrameSize + SegmentCodec.TagLength;
        var first = file.Length - (3 * frame);
        var copy = file.AsSpan(first, frame).ToArray();
        file.AsSpan(first + frame, frame).CopyTo(file.AsSpan(first));
        copy.CopyTo(file.AsSpan(first + frame));
        Assert.Equal(FileRejectReason.Corrupted, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void FileFromAnotherKeyClaimingAKnownSender_IsBadSignature()
    {
        var forger = CodecFor(TestKeys.ForgedSiteA, TestKeys.SiteB);
        var (name, file) = Write(forger, "forged"u8.ToArray());
        Assert.Equal(FileRejectReason.BadSignature, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void FileFromANodeThatIsNotAPeer_IsUnknownSender()
    {
        var stranger = CodecFor(TestKeys.Stranger, TestKeys.SiteB);
        var (name, file) = Write(stranger, "hello"u8.ToArray(), sender: "stranger");
        Assert.Equal(FileRejectReason.UnknownSender, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void FileEncryptedForAnotherNode_IsWrongRecipient()
    {
        var toStranger = new SegmentCodec(TestKeys.SiteA, id => id == "stranger" ? TestKeys.Stranger.PublicKeys : null, FrameSize);
        var (name, file) = Write(toStranger, "hello"u8.ToArray(), recipient: "stranger");
        Assert.Equal(FileRejectReason.WrongRecipient, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void RenamedFile_IsNameMismatch()
    {
        var (_, file) = Write(_siteA, "hello"u8.ToArray());
        var otherName = SegmentFileName.Create("site-a", "site-b", 999);
        Assert.Equal(FileRejectReason.NameMismatch, Decode(_siteB, file, otherName, out _).Reason);
    }

    [Fact]
    public void RandomBytes_AreMalformed()
    {
        var garbage = TestPayloads.Create(13, 0, 5000);
        var name = SegmentFileName.Create("site-a", "site-b", 1);
        Assert.Equal(FileRejectReason.Malformed, Decode(_siteB, garbage, name, out _).Reason);

        // A valid preamble in front of an envelope that is not a JWE.
        "RLYF"u8.CopyTo(garbage);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(garbage.AsSpan(4), SegmentCodec.ProtocolVersion);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(garbage.AsSpan(6), 1000);
        Assert.Equal(FileRejectReason.Malformed, Decode(_siteB, garbage, name, out _).Reason);
    }

    [Fact]
    public void TrailingBytes_AreMalformed()
    {
        var (name, file) = Write(_siteA, new byte[10]);
        Assert.Equal(FileRejectReason.Malformed, Decode(_siteB, [.. file, 0], name, out _).Reason);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(0x0102)]
    public void OtherFormatVersion_IsUnsupportedVersion(int version)
    {
        var (name, file) = Write(_siteA, new byte[10]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(4), (ushort)version);
        Assert.Equal(FileRejectReason.UnsupportedVersion, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void EmptyFile_IsTruncated()
    {
        Assert.Equal(FileRejectReason.Truncated, Decode(_siteB, [], SegmentFileName.Create("site-a", "site-b", 1), out _).Reason);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'X' })]
    [InlineData(new byte[] { (byte)'R', (byte)'X' })]
    [InlineData(new byte[] { (byte)'R', (byte)'L', (byte)'Y', (byte)'X', 0, 2, 0, 0, 0, 1, 0 })]
    public void ShortFileThatIsNotAPrefixOfTheMagic_IsMalformed(byte[] file)
    {
        Assert.Equal(FileRejectReason.Malformed, Decode(_siteB, file, SegmentFileName.Create("site-a", "site-b", 1), out _).Reason);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(65537u)]
    [InlineData(0x80000000u)]
    [InlineData(0xFFFFFFFFu)]
    public void EnvelopeLengthOutsideOneTo64KiB_ReadUnsigned_IsMalformed(uint length)
    {
        var (name, file) = Write(_siteA, new byte[10]);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(6), length);
        Assert.Equal(FileRejectReason.Malformed, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void SignedOnlyFile_DecodesAndItsBodyIsReadableInTheFile()
    {
        var writer = SignedOnlyCodecFor(TestKeys.SiteA, TestKeys.SiteB);
        var reader = SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA);
        var body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("readable by a scanner ", 200)));
        var (name, file) = Write(writer, body);

        var decoded = Decode(reader, file, name, out var plaintext);

        Assert.True(decoded.IsAccepted, decoded.Detail);
        Assert.Equal(body, plaintext);
        Assert.Contains("readable by a scanner", Encoding.ASCII.GetString(file), StringComparison.Ordinal);
        Assert.True(file.Length <= writer.MaxFileLength(body.Length), "MaxFileLength is an upper bound");
        Assert.Equal(3, CompactJose.Split(file.AsSpan(SegmentCodec.PreambleLength, EnvelopeLength(file)))!.Count);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(FrameSize + 1)]
    [InlineData((5 * FrameSize) - 1)]
    public void SignedOnlyFile_WithAChangedByteInAnyFrame_IsCorrupted(int position)
    {
        var writer = SignedOnlyCodecFor(TestKeys.SiteA, TestKeys.SiteB);
        var (name, file) = Write(writer, TestPayloads.Create(14, 0, 5 * FrameSize));
        file[file.Length - (5 * FrameSize) + position] ^= 0x01;
        Assert.Equal(FileRejectReason.Corrupted, Decode(SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA), file, name, out _).Reason);
    }

    [Fact]
    public void SignedOnlyFile_ToAReceiverExpectingEncryption_IsProtectionMismatch()
    {
        var (name, file) = Write(SignedOnlyCodecFor(TestKeys.SiteA, TestKeys.SiteB), new byte[10]);
        Assert.Equal(FileRejectReason.ProtectionMismatch, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void EncryptedFile_ToAReceiverExpectingSignedOnly_IsProtectionMismatch()
    {
        var (name, file) = Write(_siteA, new byte[10]);
        Assert.Equal(FileRejectReason.ProtectionMismatch, Decode(SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA), file, name, out _).Reason);
    }

    [Fact]
    public void SignedOnlyFile_FromAForger_IsBadSignatureNotProtectionMismatch()
    {
        var (name, file) = Write(SignedOnlyCodecFor(TestKeys.ForgedSiteA, TestKeys.SiteB), new byte[10]);
        Assert.Equal(FileRejectReason.BadSignature, Decode(_siteB, file, name, out _).Reason);
    }

    [Fact]
    public void LargeSignedOnlyBody_ListsAtMostTheHashBoundAndStillDecodes()
    {
        var writer = SignedOnlyCodecFor(TestKeys.SiteA, TestKeys.SiteB);
        var body = new byte[(SegmentCodec.MaxHashedFrames * FrameSize) + 1];
        var (name, file) = Write(writer, body);

        Assert.True(EnvelopeLength(file) <= SegmentCodec.MaxEnvelopeLength);
        Assert.True(Decode(SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA), file, name, out _).IsAccepted);
    }

    internal static SegmentCodec CodecFor(NodeKeyPair self, NodeKeyPair peer) =>
        new(self, id => id == peer.NodeId ? peer.PublicKeys : null, FrameSize);

    internal static SegmentCodec SignedOnlyCodecFor(NodeKeyPair self, NodeKeyPair peer)
    {
        var keys = peer.PublicKeys.WithProtection(BodyProtection.SignedOnly);
        return new(self, id => id == peer.NodeId ? keys : null, FrameSize);
    }

    private static (string Name, byte[] File) Write(SegmentCodec codec, byte[] body, string sender = "site-a", string recipient = "site-b")
    {
        var name = SegmentFileName.Create(sender, recipient, 1);
        using var stream = new MemoryStream();
        codec.Write(stream, new SegmentManifest
        {
            Version = SegmentCodec.ProtocolVersion,
            Sender = sender,
            Recipient = recipient,
            Channel = $"{sender}>{recipient}",
            FileName = name,
            CreatedAt = DateTimeOffset.UtcNow,
            LamportTime = 77,
            BodyLength = body.Length,
        }, body);
        return (name, stream.ToArray());
    }

    private static SegmentDecodeResult Decode(SegmentCodec codec, byte[] file, string name, out byte[] body)
    {
        var destination = new byte[Math.Max(file.Length, 1)];
        var result = codec.Decode(file, name, destination);
        body = destination.AsSpan(0, result.BodyLength).ToArray();
        return result;
    }

    private static int EnvelopeLength(byte[] file) => (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(6));
}
