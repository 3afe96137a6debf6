using System.Buffers;
using System.Buffers.Binary;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Streams;

/// <summary>
/// A head or data frame being built in a pooled buffer. Layer 1 copies the bytes when the frame is
/// sent, so one instance can be reused for every chunk of a stream.
/// </summary>
internal sealed class OutgoingFrame : IDisposable
{
    private byte[] _buffer;
    private int _length;
    private FrameFlags _flags;

    public OutgoingFrame(int initialCapacity = 4096)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Encoded body bytes in the frame: what counts against the receiver's credit.</summary>
    public int BodyBytes { get; private set; }

    public void Begin(FrameType type, bool fromInitiator, Guid streamId, ReadOnlySpan<byte> headJson = default)
    {
        _flags = fromInitiator ? FrameFlags.FromInitiator : FrameFlags.None;
        BodyBytes = 0;
        _length = Frame.HeaderLength;
        Frame.WriteHeader(_buffer, type, _flags, streamId);
        if (type is FrameType.RequestHead or FrameType.ResponseHead)
        {
            Ensure(4 + headJson.Length);
            BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), headJson.Length);
            headJson.CopyTo(_buffer.AsSpan(_length + 4));
            _length += 4 + headJson.Length;
        }
    }

    public void AppendBody(ReadOnlySequence<byte> raw, BodyEncoder encoder)
    {
        if (raw.IsEmpty)
        {
            return;
        }

        Ensure(BodyEncoder.MaxEncodedLength((int)raw.Length));
        var written = encoder.Encode(raw, _buffer.AsSpan(_length));
        _length += written;
        BodyBytes += written;
        if (encoder.IsBrotli)
        {
            SetFlag(FrameFlags.Brotli);
        }
    }

    /// <summary>Marks this frame as the body's last and appends the whole body's decoded length.</summary>
    public void EndBody(long totalRawBytes)
    {
        Ensure(Frame.TotalLength);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), totalRawBytes);
        _length += Frame.TotalLength;
        SetFlag(FrameFlags.EndOfBody);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void SetFlag(FrameFlags flag)
    {
        _flags |= flag;
        _buffer[2] = (byte)_flags;
    }

    private void Ensure(int more)
    {
        if (_length + more <= _buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(_length + more);
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
