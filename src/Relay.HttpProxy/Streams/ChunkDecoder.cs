using System.Buffers;
using System.IO.Compression;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Streams;

/// <summary>
/// Turns a body's chunks, as they travelled, back into its bytes: raw chunks are copied; Brotli
/// chunks go through one decoder kept for the whole body, since each chunk ends in a flush but may
/// refer back to the ones before it.
/// </summary>
internal sealed class ChunkDecoder : IDisposable
{
    private BrotliDecoder _decoder;
    private bool _started;

    /// <summary>Decodes from <paramref name="chunk"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    /// <param name="chunk">What is left of the current chunk.</param>
    /// <param name="brotli">Whether the chunk is Brotli.</param>
    /// <param name="destination">Where decoded bytes go.</param>
    /// <param name="consumed">Bytes of the chunk taken.</param>
    /// <param name="drained">False when the decoder took input but holds output back for want of room.</param>
    public int Decode(ReadOnlySpan<byte> chunk, bool brotli, Span<byte> destination, out int consumed, out bool drained)
    {
        if (!brotli)
        {
            var copied = Math.Min(chunk.Length, destination.Length);
            chunk[..copied].CopyTo(destination);
            consumed = copied;
            drained = true;
            return copied;
        }

        if (!_started)
        {
            _decoder = new BrotliDecoder();
            _started = true;
        }

        var status = _decoder.Decompress(chunk, destination, out consumed, out var written);
        if (status == OperationStatus.InvalidData)
        {
            throw new StreamResetException(ResetReason.ProtocolViolation, "The body's Brotli data is invalid.");
        }

        drained = status != OperationStatus.DestinationTooSmall;
        return written;
    }

    /// <summary>Output the decoder still holds from chunks already taken; it comes before the next chunk's.</summary>
    public int Drain(Span<byte> destination)
    {
        if (!_started)
        {
            return 0;
        }

        _decoder.Decompress(ReadOnlySpan<byte>.Empty, destination, out _, out var pending);
        return pending;
    }

    public void Dispose()
    {
        if (_started)
        {
            _decoder.Dispose();
            _started = false;
        }
    }
}
