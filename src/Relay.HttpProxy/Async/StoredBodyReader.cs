using System.Buffers;
using System.IO.Abstractions;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Async;

/// <summary>Reads a kept response body back, decoding its compressed chunks; fails if it is shorter than its sender declared.</summary>
internal sealed class StoredBodyReader : ReadOnlyBodyStream
{
    private readonly FileSystemStream _file;
    private readonly long? _declaredLength;
    private readonly byte[] _header = new byte[StoredBodyFile.RecordHeaderLength];
    private byte[] _chunk = [];
    private int _chunkLength;
    private int _offset;
    private long _decoded;

    public StoredBodyReader(IFileSystem fileSystem, string path, long? declaredLength)
    {
        _file = fileSystem.FileStream.New(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024, useAsync: true);
        _declaredLength = declaredLength;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (_offset == _chunkLength)
            {
                if (!await NextChunkAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (_declaredLength is { } declared && declared != _decoded)
                    {
                        throw new StreamResetException(ResetReason.ProtocolViolation, $"The kept body has {_decoded} bytes; its sender declared {declared}.");
                    }

                    return 0;
                }
            }

            var written = Math.Min(buffer.Length, _chunkLength - _offset);
            if (written == 0)
            {
                // An empty record (a head without inline body): on to the next.
                continue;
            }

            _chunk.AsSpan(_offset, written).CopyTo(buffer.Span);
            _offset += written;
            _decoded += written;
            return written;
        }
    }

    /// <summary>
    /// Copies the whole body to <paramref name="destination"/>. A body that turns out broken (shorter
    /// than declared, or not as this node wrote it) is reported, not thrown: the caller decides what
    /// its receiver is told.
    /// </summary>
    public async Task<KeptBodyCopy> CopyWholeAsync(Stream destination, CancellationToken cancellationToken)
    {
        try
        {
            await CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
            return KeptBodyCopy.Copied;
        }
        catch (StreamResetException)
        {
            return KeptBodyCopy.Broken;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();

            if (_chunk.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = [];
            }
        }

        base.Dispose(disposing);
    }

    private async Task<bool> NextChunkAsync(CancellationToken cancellationToken)
    {
        if (await _file.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < _header.Length)
        {
            return false;
        }

        if (!StoredBodyFile.TryReadHeader(_header, out var codec, out var decodedLength, out var storedLength))
        {
            throw new StreamResetException(ResetReason.ProtocolViolation, "The kept body has a record this node did not write.");
        }

        _chunk = Rent(_chunk, storedLength);
        await _file.ReadExactlyAsync(_chunk.AsMemory(0, storedLength), cancellationToken).ConfigureAwait(false);
        if (codec != BodyCodec.None)
        {
            // Each record is its own block: decode it whole, then serve it like a raw one.
            if (!BodyBlock.TryDecodeRented(codec, _chunk.AsSpan(0, storedLength), decodedLength, out var decoded))
            {
                throw new StreamResetException(ResetReason.ProtocolViolation, $"A kept body block is not valid {codec}.");
            }

            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = decoded;
        }

        _chunkLength = decodedLength;
        _offset = 0;
        return true;
    }

    private static byte[] Rent(byte[] current, int length)
    {
        if (current.Length >= length)
        {
            return current;
        }

        if (current.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(current);
        }

        return ArrayPool<byte>.Shared.Rent(length);
    }
}
