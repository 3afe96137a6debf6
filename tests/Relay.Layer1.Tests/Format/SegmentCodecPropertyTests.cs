using CsCheck;
using Relay.Tests.Shared;
using Relay.Layer1.Format;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Format;

/// <summary>The file decoder answers every input with a result, never an exception.</summary>
public sealed class SegmentCodecPropertyTests
{
    // Each decode of a mutated file runs the envelope's public-key steps: keep the count to a few seconds.
    private const long Iterations = 600;

    private static readonly SegmentCodec Writer = SegmentCodecTests.CodecFor(TestKeys.SiteA, TestKeys.SiteB);
    private static readonly SegmentCodec Reader = SegmentCodecTests.CodecFor(TestKeys.SiteB, TestKeys.SiteA);
    private static readonly string Name = SegmentFileName.Create("site-a", "site-b", 1);
    private static readonly byte[] Body = TestPayloads.Create(3, 2500, 1);
    private static readonly byte[] ValidFile = Write(Body);

    [Fact]
    public void ArbitraryBytes_AreRejectedWithAReason()
    {
        Gen.Byte.Array[0, 4096].Sample(bytes => Assert.NotNull(Decode(bytes).Reason), iter: Iterations * 10);
    }

    [Fact]
    public void MutatedFiles_AreRejectedWithAReason_OrDecodeToTheOriginal()
    {
        Mutations.Of(Gen.Const(ValidFile)).Sample(
            bytes =>
            {
                var destination = new byte[Math.Max(bytes.Length, 1)];
                var result = Reader.Decode(bytes, Name, destination);
                if (result.IsAccepted)
                {
                    // Only a change the encoding ignores (such as unused bits of a base64url character) may pass.
                    Assert.Equal(Body, destination.AsSpan(0, result.BodyLength).ToArray());
                }
                else
                {
                    Assert.NotNull(result.Reason);
                }
            },
            iter: Iterations);
    }

    private static SegmentDecodeResult Decode(byte[] bytes) => Reader.Decode(bytes, Name, new byte[Math.Max(bytes.Length, 1)]);

    private static byte[] Write(byte[] body)
    {
        using var stream = new MemoryStream();
        Writer.Write(stream, new SegmentManifest
        {
            Version = SegmentCodec.ProtocolVersion,
            Sender = "site-a",
            Recipient = "site-b",
            Channel = "site-a>site-b",
            FileName = Name,
            CreatedAt = DateTimeOffset.UtcNow,
            LamportTime = 5,
            BodyLength = body.Length,
        }, body);
        return stream.ToArray();
    }
}
