using CsCheck;
using Relay.HttpProxy.Protocol;
using Relay.Tests.Shared;

namespace Relay.HttpProxy.Tests.Protocol;

/// <summary>Each frame's body is one block that decodes alone; a block that would not shrink goes raw.</summary>
public sealed class BodyBlockTests
{
    [Theory]
    [InlineData(nameof(BodyCodec.Lz4))]
    [InlineData(nameof(BodyCodec.Brotli))]
    public void CompressibleChunk_IsCompressed_AndDecodesBack(string codecName)
    {
        var codec = Enum.Parse<BodyCodec>(codecName);
        var raw = FrameSamples.Compressible(64 * 1024);
        var encoded = new byte[BodyBlock.MaxEncodedLength(raw.Length)];

        var used = BodyBlock.Encode(codec, raw, encoded, out var written);

        Assert.Equal(codec, used);
        Assert.True(written < raw.Length / 2, $"{codec} wrote {written} bytes for {raw.Length}");
        Assert.Equal((uint)raw.Length, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(encoded));
        var decoded = new byte[raw.Length];
        Assert.True(BodyBlock.TryDecode(codec, encoded.AsSpan(BodyBlock.PrefixLength, written - BodyBlock.PrefixLength), decoded));
        Assert.Equal(raw, decoded);
    }

    [Theory]
    [InlineData(nameof(BodyCodec.Lz4))]
    [InlineData(nameof(BodyCodec.Brotli))]
    public void IncompressibleChunk_GoesRaw(string codecName)
    {
        var codec = Enum.Parse<BodyCodec>(codecName);
        var raw = new byte[32 * 1024];
        new Random(7).NextBytes(raw);
        var encoded = new byte[BodyBlock.MaxEncodedLength(raw.Length)];

        var used = BodyBlock.Encode(codec, raw, encoded, out var written);

        Assert.Equal(BodyCodec.None, used);
        Assert.Equal(raw.Length, written);
        Assert.Equal(raw, encoded.AsSpan(0, written).ToArray());
    }

    [Theory]
    [InlineData(nameof(BodyCodec.Lz4))]
    [InlineData(nameof(BodyCodec.Brotli))]
    public void EveryFrameOfABody_DecodesWithoutTheOthers(string codecName)
    {
        var codec = Enum.Parse<BodyCodec>(codecName);
        var body = FrameSamples.Compressible(200_000);
        using var encoder = new BodyEncoder(codec);
        var frames = body.Chunk(50_000)
            .Select(chunk => FrameSamples.Build(f => f.BeginData(true, Guid.Empty), chunk, codec, null))
            .ToArray();

        // Last first: no frame needs one before it.
        var decoded = frames.Reverse().Select(bytes =>
        {
            Assert.True(Frame.TryParse(bytes, out var frame));
            Assert.Equal(codec, frame.Codec);
            return FrameSamples.DecodedBody(frame);
        }).Reverse().SelectMany(b => b).ToArray();
        Assert.Equal(body, decoded);
    }

    [Fact]
    public void ChunkSpreadOverSegments_IsGatheredAndCompressed()
    {
        var raw = FrameSamples.Compressible(10_000);
        var sequence = SegmentedSequence.Of(raw, 1000);
        using var encoder = new BodyEncoder(BodyCodec.Lz4);
        var destination = new byte[BodyBlock.MaxEncodedLength(raw.Length)];

        var used = encoder.Encode(sequence, destination, out var written);

        Assert.Equal(BodyCodec.Lz4, used);
        var decoded = new byte[raw.Length];
        Assert.True(BodyBlock.TryDecode(BodyCodec.Lz4, destination.AsSpan(BodyBlock.PrefixLength, written - BodyBlock.PrefixLength), decoded));
        Assert.Equal(raw, decoded);
    }

    [Theory]
    [InlineData(nameof(BodyCodec.Lz4))]
    [InlineData(nameof(BodyCodec.Brotli))]
    public void BlockDecodingToAnotherLength_IsRefused(string codecName)
    {
        var codec = Enum.Parse<BodyCodec>(codecName);
        var raw = FrameSamples.Compressible(5000);
        var block = Block(codec, raw);

        Assert.False(BodyBlock.TryDecode(codec, block, new byte[raw.Length - 1]));
        Assert.False(BodyBlock.TryDecode(codec, block, new byte[raw.Length + 1]));
    }

    [Theory]
    [InlineData(nameof(BodyCodec.Lz4))]
    [InlineData(nameof(BodyCodec.Brotli))]
    public void ArbitraryAndMutatedBlocks_AreRefusedOrDecoded_NeverThrow(string codecName)
    {
        var codec = Enum.Parse<BodyCodec>(codecName);
        var block = Block(codec, FrameSamples.Compressible(3000));

        Gen.Select(Gen.OneOf(Gen.Byte.Array[0, 200], Mutations.Of(Gen.Const(block))), Gen.Int[1, 6000], (bytes, length) => (bytes, length))
            .Sample(sample => { _ = BodyBlock.TryDecode(codec, sample.bytes, new byte[sample.length]); }, iter: 5_000);
    }

    // The compressed block alone, without its decoded-length prefix.
    private static byte[] Block(BodyCodec codec, byte[] raw)
    {
        var encoded = new byte[BodyBlock.MaxEncodedLength(raw.Length)];
        Assert.Equal(codec, BodyBlock.Encode(codec, raw, encoded, out var written));
        return encoded.AsSpan(BodyBlock.PrefixLength, written - BodyBlock.PrefixLength).ToArray();
    }
}
