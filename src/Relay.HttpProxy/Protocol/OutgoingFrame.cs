using System.Buffers;
using System.Buffers.Binary;

namespace Relay.HttpProxy.Protocol;

/// <summary>
/// A head or data frame being built in a pooled buffer. Layer 1 copies the bytes when the frame is
/// sent, so one instance can be reused for every chunk of a stream.
/// </summary>
/// <remarks>
/// Steps, in order: <see cref="BeginRequest"/>, <see cref="BeginResponse"/> or <see cref="BeginData"/>;
/// at most one <see cref="AppendBody"/>; then <see cref="EndBody"/> on the body's last frame.
/// </remarks>
internal sealed class OutgoingFrame : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _length;
    private bool _fromInitiator;
    private bool _endOfBody;
    private BodyCodec _codec;

    public OutgoingFrame(int initialCapacity = 4096)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, Frame.HeaderLength + Frame.HeadLengthFieldLength));
    }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Body bytes in the frame as they travel (a block's length prefix included): what counts against the receiver's credit.</summary>
    public int BodyBytes { get; private set; }

    public void BeginRequest(Guid streamId, RequestHead head) => BeginHead(FrameType.RequestHead, fromInitiator: true, streamId, head);

    public void BeginResponse(Guid streamId, ResponseHead head) => BeginHead(FrameType.ResponseHead, fromInitiator: false, streamId, head);

    public void BeginData(bool fromInitiator, Guid streamId) => Begin(FrameType.Data, fromInitiator, streamId);

    /// <summary>Appends a chunk, encoded by <paramref name="encoder"/> (raw when it does not shrink).</summary>
    public void AppendBody(ReadOnlySequence<byte> raw, BodyEncoder encoder)
    {
        if (raw.IsEmpty)
        {
            return;
        }

        Ensure(BodyBlock.MaxEncodedLength((int)raw.Length));
        _codec = encoder.Encode(raw, _buffer.AsSpan(_length), out var written);
        _length += written;
        BodyBytes += written;
        WriteFlags();
    }

    /// <summary>Marks this frame as the body's last and appends the whole body's decoded length.</summary>
    public void EndBody(long totalRawBytes)
    {
        Ensure(Frame.TotalLength);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), totalRawBytes);
        _length += Frame.TotalLength;
        _endOfBody = true;
        WriteFlags();
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    void IBufferWriter<byte>.Advance(int count) => _length += count;

    Memory<byte> IBufferWriter<byte>.GetMemory(int sizeHint)
    {
        Ensure(Math.Max(sizeHint, 256));
        return _buffer.AsMemory(_length);
    }

    Span<byte> IBufferWriter<byte>.GetSpan(int sizeHint)
    {
        Ensure(Math.Max(sizeHint, 256));
        return _buffer.AsSpan(_length);
    }

    private void Begin(FrameType type, bool fromInitiator, Guid streamId)
    {
        _fromInitiator = fromInitiator;
        _endOfBody = false;
        _codec = BodyCodec.None;
        BodyBytes = 0;
        FrameWriter.WriteHeader(_buffer, type, Frame.FlagsOf(fromInitiator, endOfBody: false, BodyCodec.None), streamId);
        _length = Frame.HeaderLength;
    }

    // The head goes straight into the frame's buffer; its length is filled in once known.
    private void BeginHead<T>(FrameType type, bool fromInitiator, Guid streamId, T head)
    {
        Begin(type, fromInitiator, streamId);
        var lengthAt = _length;
        _length += Frame.HeadLengthFieldLength;
        FramePayloads.Write<T>(this, head);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(lengthAt), (uint)(_length - lengthAt - Frame.HeadLengthFieldLength));
    }

    private void WriteFlags() => _buffer[2] = (byte)Frame.FlagsOf(_fromInitiator, _endOfBody, _codec);

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
