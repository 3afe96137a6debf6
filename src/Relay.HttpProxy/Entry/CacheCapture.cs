using System.Buffers;

namespace Relay.HttpProxy.Entry;

/// <summary>
/// A copy of a response body set aside, in pooled memory, while the body streams to the caller; it gives
/// up (and lets go of its memory) once the body passes the limit, so a large body is never held whole.
/// </summary>
internal sealed class CacheCapture : IDisposable
{
    private readonly long _limit;
    private byte[]? _buffer;
    private int _length;

    public CacheCapture(long limit) => _limit = limit;

    /// <summary>False once the body went past the limit: nothing is kept.</summary>
    public bool IsKeeping => _limit >= 0 && _length >= 0;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (!IsKeeping || bytes.IsEmpty)
        {
            return;
        }

        if (_length + (long)bytes.Length > _limit)
        {
            Release();
            _length = -1;
            return;
        }

        if (_buffer is null || _buffer.Length - _length < bytes.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(_limit, Math.Max(_length + bytes.Length, 2L * (_buffer?.Length ?? 4096))));
            _buffer?.AsSpan(0, _length).CopyTo(larger);
            Release();
            _buffer = larger;
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>The body kept, as an array of its own.</summary>
    public byte[] ToArray() => IsKeeping && _buffer is not null ? _buffer.AsSpan(0, _length).ToArray() : [];

    public void Dispose() => Release();

    private void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
