namespace Relay.Benchmarks;

/// <summary>A request body of <see cref="BenchmarkCallee.Noise"/> repeated, generated as read.</summary>
internal sealed class NoiseStream : Stream
{
    private readonly long _length;
    private long _position;

    public NoiseStream(long length) => _length = length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var noise = BenchmarkCallee.Noise;
        var start = (int)(_position % noise.Length);
        var count = (int)Math.Min(Math.Min(buffer.Length, noise.Length - start), _length - _position);
        noise.AsSpan(start, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
