using System.Security.Cryptography;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// A request body on its way to the callee, hashed (SHA-256) as it is read, so a repeat of the
/// caller's <c>Idempotency-Key</c> can be told apart from a different request under the same key.
/// </summary>
internal sealed class BodyHashingStream(Stream inner) : ReadOnlyBodyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _result;

    /// <summary>The SHA-256 of an empty body.</summary>
    public static byte[] EmptyBodyHash { get; } = SHA256.HashData([]);

    /// <summary>The body's hash once it has been read to its end; null before.</summary>
    public byte[]? Hash => _result;

    /// <summary>Reads what the callee left unread, so the hash covers the whole body; null when the body cannot be had whole.</summary>
    public async Task<byte[]?> ReadToEndAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (_result is null && await ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or Streams.StreamResetException)
        {
            return null;
        }

        return _result;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Take(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Take(buffer.Span[..read]);
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        // The body belongs to the exchange, which disposes it; the callee's client must not end it early.
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Take(ReadOnlySpan<byte> read)
    {
        if (_result is not null)
        {
            return;
        }

        if (read.IsEmpty)
        {
            _result = _hash.GetHashAndReset();
            return;
        }

        _hash.AppendData(read);
    }
}
