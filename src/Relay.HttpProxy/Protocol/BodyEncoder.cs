using System.Buffers;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// Encodes the chunks of one body direction for the channel, each chunk its own block (see
/// <see cref="BodyBlock"/>), so the far side decodes every frame alone. A chunk that does not shrink
/// goes raw; the choice is made per frame.
/// </summary>
internal sealed class BodyEncoder : IDisposable
{
    private byte[]? _scratch;

    /// <param name="codec">The codec to try on every chunk; <see cref="BodyCodec.None"/> sends every chunk raw.</param>
    public BodyEncoder(BodyCodec codec)
    {
        Codec = codec;
    }

    public BodyCodec Codec { get; }

    /// <summary>Encodes a chunk into <paramref name="destination"/> (at least <see cref="BodyBlock.MaxEncodedLength"/>); returns the codec used.</summary>
    public BodyCodec Encode(ReadOnlySequence<byte> raw, Span<byte> destination, out int written)
    {
        if (Codec == BodyCodec.None || raw.IsSingleSegment)
        {
            if (Codec == BodyCodec.None)
            {
                raw.CopyTo(destination);
                written = (int)raw.Length;
                return BodyCodec.None;
            }

            return BodyBlock.Encode(Codec, raw.FirstSpan, destination, out written);
        }

        // Codecs take one span: a chunk spread over pipe segments is gathered once into a pooled buffer.
        var length = (int)raw.Length;
        if (_scratch is null || _scratch.Length < length)
        {
            ReturnScratch();
            _scratch = ArrayPool<byte>.Shared.Rent(length);
        }

        raw.CopyTo(_scratch);
        return BodyBlock.Encode(Codec, _scratch.AsSpan(0, length), destination, out written);
    }

    public void Dispose() => ReturnScratch();

    private void ReturnScratch()
    {
        if (_scratch is not null)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = null;
        }
    }
}
