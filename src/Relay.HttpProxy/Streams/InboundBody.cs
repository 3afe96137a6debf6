using System.Buffers;
using System.Threading.Channels;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Streams;

/// <summary>
/// One body direction arriving over the channel, read as a forward-only stream. Chunks are copied out
/// of layer-1 messages as they arrive (so the messages can be marked handled at once) and queued;
/// the queue is bounded by the credit this side grants, which it grants back as the reader consumes.
/// The body is complete only when the end frame has come and the decoded length matches it: anything
/// else makes the reader fail, so a truncated body can never pass as a whole one.
/// Memory holds at most the initial window: what arrives beyond it (a window grown on a slow link,
/// while the reader lags) waits in a <see cref="BodySpill"/> on disk until the reader gets to it. A
/// body from a peer that cannot be answered (<see cref="OneWay"/>) grants no credit: none can reach
/// its sender, which cannot be held back, so it too keeps what its window cannot hold on disk.
/// </summary>
internal sealed class InboundBody : ReadOnlyBodyStream
{
    private readonly Channel<Piece> _pieces = Channel.CreateUnbounded<Piece>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly ReceiveWindowTuner? _tuner;
    private long _window;
    private readonly int _creditBatch;
    private readonly Action<int>? _grantCredit;
    private readonly BodySpill? _spill;
    private readonly object _gate = new();
    private readonly long _memoryLimit;
    private long _queuedBytes;
    private long _inMemoryBytes;
    private int _ungranted;
    private bool _ended;
    private Piece _current;
    private int _offset;
    private long _decoded;
    private bool _finished;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="window">Encoded bytes the sender may have outstanding; more is a protocol violation.</param>
    /// <param name="grantCredit">Sends the sender a credit frame for this many bytes.</param>
    /// <param name="tuner">Grows the window on a slow link; null keeps it fixed.</param>
    /// <param name="spill">Where pieces beyond the initial window wait for the reader; null keeps them in memory.</param>
    public InboundBody(long window, Action<int> grantCredit, ReceiveWindowTuner? tuner = null, BodySpill? spill = null)
    {
        ArgumentNullException.ThrowIfNull(grantCredit);
        _window = window;
        _memoryLimit = window;
        _tuner = tuner;
        _spill = spill;
        _creditBatch = (int)Math.Max(1, Math.Min(window / 4, int.MaxValue));
        _grantCredit = grantCredit;
    }

    /// <summary>Encoded bytes the sender may have outstanding now: the initial window, grown on a slow link.</summary>
    public long Window
    {
        get
        {
            lock (_gate)
            {
                return _window;
            }
        }
    }

    private InboundBody(long window, BodySpill? spill)
    {
        _window = window;
        _memoryLimit = window;
        _creditBatch = int.MaxValue;
        _spill = spill;
    }

    /// <summary>
    /// A body whose sender gets no credit: nothing is granted back and no window can be overrun; past
    /// <paramref name="window"/> bytes in memory, pieces go to <paramref name="spill"/> (kept in memory without one).
    /// </summary>
    public static InboundBody OneWay(long window, BodySpill? spill) => new(window, spill);

    /// <summary>Completes when the reader has read the whole body.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Queues a chunk from a data or head frame; false when the sender overran its credit or sent after the end.</summary>
    public bool TryAppend(BodyChunk chunk)
    {
        var spilled = false;
        StreamResetException? spillFailed = null;
        lock (_gate)
        {
            if (_ended || (_grantCredit is not null && _queuedBytes + _ungranted + chunk.Credit > _window))
            {
                return false;
            }

            if (_spill is not null && !chunk.Encoded.IsEmpty && _inMemoryBytes + chunk.Credit > _memoryLimit)
            {
                // Under the lock: the body's disposal closes the spill under it too.
                try
                {
                    _spill.Append(chunk.Encoded.Span);
                    spilled = true;
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    spillFailed = new StreamResetException(ResetReason.SourceFailed, $"The body could not be kept on disk until read: {exception.Message}");
                }
            }

            if (spillFailed is null)
            {
                _queuedBytes += chunk.Credit;
                _inMemoryBytes += spilled ? 0 : chunk.Credit;
                _ended = chunk.EndOfBody;
            }
        }

        if (spillFailed is not null)
        {
            // Not the sender's fault: the body ends as broken, and the call with it.
            Fail(spillFailed);
            return true;
        }

        if (spilled)
        {
            _pieces.Writer.TryWrite(new Piece(null, chunk.Encoded.Length, chunk.Codec, chunk.DecodedLength, chunk.Credit, null, null, Spilled: true));
        }
        else if (!chunk.Encoded.IsEmpty)
        {
            // Kept encoded (the window bounds encoded bytes); decoded only when the reader reaches it.
            var copy = ArrayPool<byte>.Shared.Rent(chunk.Encoded.Length);
            chunk.Encoded.Span.CopyTo(copy);
            _pieces.Writer.TryWrite(new Piece(copy, chunk.Encoded.Length, chunk.Codec, chunk.DecodedLength, chunk.Credit, null, null));
        }

        if (chunk.EndOfBody)
        {
            _pieces.Writer.TryWrite(new Piece(null, 0, BodyCodec.None, 0, 0, chunk.DeclaredTotal, null));
            _pieces.Writer.TryComplete();
        }

        return true;
    }

    /// <summary>Ends the body as incomplete: the reader fails once it has read what came before.</summary>
    public void Fail(StreamResetException failure)
    {
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
        }

        _pieces.Writer.TryWrite(new Piece(null, 0, BodyCodec.None, 0, 0, null, failure));
        _pieces.Writer.TryComplete();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (_finished)
            {
                return 0;
            }

            if (_current.Data is null)
            {
                if (!_pieces.Reader.TryRead(out _current))
                {
                    _current = await _pieces.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }

                _offset = 0;
                if (_current.Failure is { } failure)
                {
                    _current = default;
                    throw failure;
                }

                if (_current.Spilled)
                {
                    var spilled = _current;
                    _current = default;
                    _current = await LoadSpilledAsync(spilled, cancellationToken).ConfigureAwait(false);
                }

                if (_current.DeclaredTotal is { } total)
                {
                    _current = default;
                    if (total != _decoded)
                    {
                        throw new StreamResetException(ResetReason.ProtocolViolation, $"The body ended after {_decoded} bytes but its sender declared {total}.");
                    }

                    _finished = true;
                    _completion.TrySetResult();
                    return 0;
                }

                if (_current.Codec != BodyCodec.None)
                {
                    var encoded = _current;
                    _current = default;
                    _current = Decode(encoded);
                }
            }

            var written = Math.Min(buffer.Length, _current.Length - _offset);
            _current.Data.AsSpan(_offset, written).CopyTo(buffer.Span);
            _offset += written;
            if (_offset == _current.Length)
            {
                Consumed(_current);
                _current = default;
            }

            _decoded += written;
            return written;
        }
    }

    private async ValueTask<Piece> LoadSpilledAsync(Piece piece, CancellationToken cancellationToken)
    {
        var data = ArrayPool<byte>.Shared.Rent(Math.Max(piece.Length, 1));
        try
        {
            await _spill!.ReadExactlyAsync(data.AsMemory(0, piece.Length), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            ArrayPool<byte>.Shared.Return(data);
            throw new StreamResetException(ResetReason.SourceFailed, $"The body kept on disk could not be read back: {exception.Message}");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(data);
            throw;
        }

        return piece with { Data = data, Spilled = false, FromDisk = true };
    }

    // Each block decodes alone, into a buffer of the length its frame declared (bounded by the protocol).
    private static Piece Decode(Piece piece)
    {
        var decoded = BodyBlock.TryDecodeRented(piece.Codec, piece.Data.AsSpan(0, piece.Length), piece.DecodedLength, out var bytes);
        ArrayPool<byte>.Shared.Return(piece.Data!);
        if (!decoded)
        {
            throw new StreamResetException(ResetReason.ProtocolViolation, $"A body block is not valid {piece.Codec}.");
        }

        return piece with { Data = bytes, Length = piece.DecodedLength, Codec = BodyCodec.None };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Fail(new StreamResetException(ResetReason.CallerGone, "The body's reader went away."));
            if (_current.Data is { } data)
            {
                ArrayPool<byte>.Shared.Return(data);
                _current = default;
            }

            while (_pieces.Reader.TryRead(out var piece))
            {
                if (piece.Data is { } queued)
                {
                    ArrayPool<byte>.Shared.Return(queued);
                }
            }

            lock (_gate)
            {
                _spill?.Dispose();
            }

        }

        base.Dispose(disposing);
    }

    private void Consumed(Piece piece)
    {
        ArrayPool<byte>.Shared.Return(piece.Data!);
        int grant;
        lock (_gate)
        {
            _queuedBytes -= piece.Credit;
            _inMemoryBytes -= piece.FromDisk ? 0 : piece.Credit;
            if (_grantCredit is null)
            {
                return;
            }

            _ungranted += piece.Credit;

            // Growth is granted like freed room: the sender adds every grant to its window.
            var growth = _ended || _tuner is null ? 0 : _tuner.OnConsumed(_window, piece.Credit);
            _window += growth;
            _ungranted += (int)growth;
            if (_ungranted < _creditBatch || _ended)
            {
                return;
            }

            grant = _ungranted;
            _ungranted = 0;
        }

        _grantCredit!(grant);
    }

    /// <param name="Data">Pooled bytes; <paramref name="Length"/> of them are the piece.</param>
    /// <param name="Credit">What the piece counted against the window, granted back once read.</param>
    /// <param name="Spilled">The piece's bytes are the next <paramref name="Length"/> of the spill, not yet in <paramref name="Data"/>.</param>
    /// <param name="FromDisk">The piece was read back from the spill: it never counted against memory.</param>
    private readonly record struct Piece(byte[]? Data, int Length, BodyCodec Codec, int DecodedLength, int Credit, long? DeclaredTotal, StreamResetException? Failure, bool Spilled = false, bool FromDisk = false);
}
