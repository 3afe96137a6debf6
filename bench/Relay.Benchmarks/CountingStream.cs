namespace Relay.Benchmarks;

/// <summary>Reads through another stream and counts the bytes, so a body can be hashed and measured in one pass.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long BytesRead { get; private set; }

    /// <summary>Seconds from the first byte read to the last.</summary>
    public double Seconds => _first == 0 ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(_first, _last).TotalSeconds;

    private long _first;
    private long _last;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Counted(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Counted(int read)
    {
        if (read > 0)
        {
            _last = System.Diagnostics.Stopwatch.GetTimestamp();
            _first = _first == 0 ? _last : _first;
        }

        BytesRead += read;
        return read;
    }
}
