using System.Buffers;
using System.Buffers.Binary;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Async;

/// <summary>Reads a kept response body back, decoding its Brotli chunks; fails if it is shorter than its sender declared.</summary>
internal sealed class StoredBodyReader : Stream
{
    private readonly FileStream _file;
    private readonly long? _declaredLength;
    private readonly byte[] _header = new byte[StoredBodyFile.RecordHeaderLength];
    private byte[] _chunk = [];
    private int _chunkLength;
    private int _offset;
    private bool _brotli;
    private readonly ChunkDecoder _decoder = new();
    private long _decoded;

    public StoredBodyReader(string path, long? declaredLength)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024, useAsync: true);
        _declaredLength = declaredLength;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
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
                var pending = _decoder.Drain(buffer.Span);
                if (pending > 0)
                {
                    _decoded += pending;
                    return pending;
                }

                if (!await NextChunkAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (_declaredLength is { } declared && declared != _decoded)
                    {
                        throw new StreamResetException(ResetReason.ProtocolViolation, $"The kept body has {_decoded} bytes; its sender declared {declared}.");
                    }

                    return 0;
                }
            }

            var written = _decoder.Decode(_chunk.AsSpan(_offset, _chunkLength - _offset), _brotli, buffer.Span, out var consumed, out _);
            _offset += consumed;

            if (written > 0)
            {
                _decoded += written;
                return written;
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
            _decoder.Dispose();

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

        _brotli = (_header[8] & 1) != 0;
        _chunkLength = BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(9));
        if (_chunk.Length < _chunkLength)
        {
            if (_chunk.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_chunk);
            }

            _chunk = ArrayPool<byte>.Shared.Rent(_chunkLength);
        }

        await _file.ReadExactlyAsync(_chunk.AsMemory(0, _chunkLength), cancellationToken).ConfigureAwait(false);
        _offset = 0;
        return true;
    }
}
