using CsCheck;
using Relay.Layer1.Format;
using Relay.Layer1.Tests.Support;
using Relay.Tests.Shared;

namespace Relay.Layer1.Tests.Format;

/// <summary>The file decoder answers every input with a result, never an exception, and reads back what was written.</summary>
public sealed class SegmentCodecPropertyTests
{
    // Each decode of a mutated file runs the envelope's public-key steps: keep the count to a few seconds.
    private const long Iterations = 400;

    private static readonly SegmentCodec Writer = SegmentCodecTests.CodecFor(TestKeys.SiteA, TestKeys.SiteB);
    private static readonly SegmentCodec Reader = SegmentCodecTests.CodecFor(TestKeys.SiteB, TestKeys.SiteA);
    private static readonly SegmentCodec SignedOnlyWriter = SegmentCodecTests.SignedOnlyCodecFor(TestKeys.SiteA, TestKeys.SiteB);
    private static readonly SegmentCodec SignedOnlyReader = SegmentCodecTests.SignedOnlyCodecFor(TestKeys.SiteB, TestKeys.SiteA);
    private static readonly string Name = SegmentFileName.Create("site-a", "site-b", 1);
    private static readonly byte[] Body = TestPayloads.Create(3, 2500, 1);
    private static readonly byte[] ValidFile = Write(Writer, Body);
    private static readonly byte[] ValidSignedOnlyFile = Write(SignedOnlyWriter, Body);

    [Fact]
    public void ArbitraryBytes_AreRejectedWithAReason()
    {
        Gen.Byte.Array[0, 4096].Sample(bytes => Assert.NotNull(Decode(Reader, bytes).Reason), iter: Iterations * 10);
    }

    [Fact]
    public void ArbitraryBytesBehindAValidPreamble_AreRejectedWithAReason()
    {
        Gen.Byte.Array[0, 4096].Sample(
            bytes => Assert.NotNull(Decode(Reader, [.. ValidFile.AsSpan(0, SegmentCodec.PreambleLength), .. bytes]).Reason),
            iter: Iterations * 10);
    }

    [Fact]
    public void MutatedEncryptedFiles_AreRejectedWithAReason_OrDecodeToTheOriginal()
    {
        Mutations.Of(Gen.Const(ValidFile)).Sample(bytes => AssertRejectedOrOriginal(Reader, bytes), iter: Iterations);
    }

    [Fact]
    public void MutatedSignedOnlyFiles_AreRejectedWithAReason_OrDecodeToTheOriginal()
    {
        Mutations.Of(Gen.Const(ValidSignedOnlyFile)).Sample(bytes => AssertRejectedOrOriginal(SignedOnlyReader, bytes), iter: Iterations);
    }

    [Fact]
    public void FilesWithInsertedBytes_AreRejectedWithAReason()
    {
        Mutations.Inserted(Gen.OneOf(Gen.Const(ValidFile), Gen.Const(ValidSignedOnlyFile))).Sample(
            bytes =>
            {
                Assert.NotNull(Decode(Reader, bytes).Reason);
                Assert.NotNull(Decode(SignedOnlyReader, bytes).Reason);
            },
            iter: Iterations);
    }

    [Fact]
    public void WrittenFiles_DecodeToTheBodyAndManifestWritten()
    {
        Gen.Select(Gen.Byte.Array[0, 5000], Gen.Long[0, long.MaxValue], Gen.Bool).Sample(
            (body, lamport, signedOnly) =>
            {
                var file = Write(signedOnly ? SignedOnlyWriter : Writer, body, lamport);
                var destination = new byte[file.Length];
                var result = (signedOnly ? SignedOnlyReader : Reader).Decode(file, Name, destination);

                Assert.True(result.IsAccepted, result.Detail);
                Assert.Equal(body, destination.AsSpan(0, result.BodyLength).ToArray());
                Assert.Equal(lamport, result.Manifest!.LamportTime);
                Assert.Equal(body.Length, result.Manifest.BodyLength);
            },
            iter: 100);
    }

    // Only a change the encoding ignores may pass; nothing else decodes, and nothing throws.
    private static void AssertRejectedOrOriginal(SegmentCodec reader, byte[] bytes)
    {
        var destination = new byte[Math.Max(bytes.Length, 1)];
        var result = reader.Decode(bytes, Name, destination);
        if (result.IsAccepted)
        {
            Assert.Equal(Body, destination.AsSpan(0, result.BodyLength).ToArray());
        }
        else
        {
            Assert.NotNull(result.Reason);
            Assert.NotNull(result.Detail);
        }
    }

    private static SegmentDecodeResult Decode(SegmentCodec reader, byte[] bytes) => reader.Decode(bytes, Name, new byte[Math.Max(bytes.Length, 1)]);

    private static byte[] Write(SegmentCodec writer, byte[] body, long lamport = 5)
    {
        using var stream = new MemoryStream();
        writer.Write(stream, new SegmentManifest
        {
            Version = SegmentCodec.ProtocolVersion,
            Sender = "site-a",
            Recipient = "site-b",
            Channel = "site-a>site-b",
            FileName = Name,
            CreatedAt = DateTimeOffset.UtcNow,
            LamportTime = lamport,
            BodyLength = body.Length,
        }, body);
        return stream.ToArray();
    }
}
