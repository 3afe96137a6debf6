using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using K4os.Compression.LZ4;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// One frame's body as one self-contained block: a compressed frame's body is a 4-byte decoded
/// length followed by the block, so any frame decodes alone, into a buffer of exactly that length.
/// </summary>
internal static class BodyBlock
{
    /// <summary>Bytes before a compressed block: its decoded length, unsigned 32-bit big-endian.</summary>
    public const int PrefixLength = 4;

    /// <summary>The largest decoded block a frame may carry (the largest chunk a node may be configured to send).</summary>
    public const int MaxDecodedLength = 4 * 1024 * 1024;

    private const int BrotliQuality = 1;

    // A block is at most a few MiB; a 4 MiB window covers the largest whole, and the decoder needs no more.
    private const int BrotliWindowBits = 22;

    /// <summary>Room a chunk of <paramref name="rawLength"/> bytes may need as a frame body, whatever the codec.</summary>
    public static int MaxEncodedLength(int rawLength) =>
        PrefixLength + Math.Max(rawLength, Math.Max(LZ4Codec.MaximumOutputSize(rawLength), BrotliEncoder.GetMaxCompressedLength(rawLength)));

    /// <summary>
    /// Writes <paramref name="raw"/> into <paramref name="destination"/> with <paramref name="codec"/>;
    /// returns the codec actually used: <see cref="BodyCodec.None"/> when the block would not shrink.
    /// </summary>
    public static BodyCodec Encode(BodyCodec codec, ReadOnlySpan<byte> raw, Span<byte> destination, out int written)
    {
        if (codec != BodyCodec.None && raw.Length > PrefixLength)
        {
            var room = destination.Slice(PrefixLength, Math.Min(destination.Length - PrefixLength, raw.Length - PrefixLength - 1));
            var compressed = codec switch
            {
                BodyCodec.Lz4 => LZ4Codec.Encode(raw, room, LZ4Level.L00_FAST),
                BodyCodec.Brotli => BrotliEncoder.TryCompress(raw, room, out var brotli, BrotliQuality, BrotliWindowBits) ? brotli : -1,
                _ => -1,
            };

            // A block that does not come out smaller (room stops short of the raw length) goes raw.
            if (compressed > 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)raw.Length);
                written = PrefixLength + compressed;
                return codec;
            }
        }

        raw.CopyTo(destination);
        written = raw.Length;
        return BodyCodec.None;
    }

    /// <summary>Decodes a compressed block into <paramref name="destination"/>, which is exactly its decoded length; false when the block is bad.</summary>
    public static bool TryDecode(BodyCodec codec, ReadOnlySpan<byte> block, Span<byte> destination)
    {
        try
        {
            switch (codec)
            {
                case BodyCodec.Lz4:
                    return LZ4Codec.Decode(block, destination) == destination.Length;
                case BodyCodec.Brotli:
                    return BrotliDecoder.TryDecompress(block, destination, out var written) && written == destination.Length;
                default:
                    return false;
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // Hostile input must end as a refusal, whatever a codec does with it.
            return false;
        }
    }

    /// <summary>Decodes a frame body into a pooled buffer the caller returns; false (and no buffer) when it is bad.</summary>
    public static bool TryDecodeRented(BodyCodec codec, ReadOnlySpan<byte> block, int decodedLength, out byte[] decoded)
    {
        decoded = ArrayPool<byte>.Shared.Rent(decodedLength);
        if (TryDecode(codec, block, decoded.AsSpan(0, decodedLength)))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(decoded);
        decoded = [];
        return false;
    }
}
