using System.Buffers;
using System.IO.Compression;

namespace Relay.HttpProxy.Streams;

/// <summary>
/// Encodes one body direction for the channel: Brotli at quality 1, flushed at every chunk so the far
/// side can decode each chunk as it comes, or raw. The choice is made once, on the first non-empty
/// chunk: compression stays on only if that chunk shrank to at most 90%.
/// </summary>
internal sealed class BodyEncoder : IDisposable
{
    private const int Quality = 1;

    // A 256 KiB window keeps each stream's encoder small; at quality 1 a larger one gains little.
    private const int WindowBits = 18;

    private BrotliEncoder _encoder;
    private bool _decided;
    private bool _compress;

    public BodyEncoder(bool mayCompress)
    {
        _compress = mayCompress;
        _decided = !mayCompress;
        if (mayCompress)
        {
            _encoder = new BrotliEncoder(Quality, WindowBits);
        }
    }

    /// <summary>True once the stream's bytes are Brotli on the channel.</summary>
    public bool IsBrotli => _decided && _compress;

    /// <summary>Room a chunk of <paramref name="rawLength"/> bytes may need once encoded.</summary>
    public static int MaxEncodedLength(int rawLength) => Math.Max(BrotliEncoder.GetMaxCompressedLength(rawLength), rawLength) + 64;

    /// <summary>Encodes a chunk into <paramref name="destination"/>; returns the bytes written.</summary>
    public int Encode(ReadOnlySequence<byte> raw, Span<byte> destination)
    {
        if (raw.IsEmpty)
        {
            return 0;
        }

        if (_decided && !_compress)
        {
            raw.CopyTo(destination);
            return (int)raw.Length;
        }

        var written = Compress(raw, destination);
        if (!_decided)
        {
            _decided = true;
            if (written > raw.Length * 9 / 10)
            {
                // Incompressible (already compressed, encrypted, random): send as is from now on.
                _compress = false;
                _encoder.Dispose();
                raw.CopyTo(destination);
                return (int)raw.Length;
            }
        }

        return written;
    }

    public void Dispose()
    {
        if (_compress || !_decided)
        {
            _encoder.Dispose();
        }
    }

    private int Compress(ReadOnlySequence<byte> raw, Span<byte> destination)
    {
        var total = 0;
        foreach (var segment in raw)
        {
            var source = segment.Span;
            while (!source.IsEmpty)
            {
                var status = _encoder.Compress(source, destination[total..], out var consumed, out var written, isFinalBlock: false);
                if (status is OperationStatus.InvalidData or OperationStatus.DestinationTooSmall)
                {
                    throw new InvalidOperationException($"Brotli compression failed: {status}.");
                }

                source = source[consumed..];
                total += written;
            }
        }

        while (true)
        {
            var status = _encoder.Flush(destination[total..], out var flushed);
            total += flushed;
            if (status == OperationStatus.Done)
            {
                return total;
            }

            if (status != OperationStatus.DestinationTooSmall || flushed == 0)
            {
                throw new InvalidOperationException($"Brotli flush failed: {status}.");
            }
        }
    }
}
