using System.Buffers;
using System.IO.Pipelines;

namespace Relay.HttpProxy.Http;

/// <summary>A connection's input as the server reads it, with every byte shown once, in order, to an observer before the server sees it.</summary>
internal sealed class ObservingPipeReader(PipeReader inner, Action<ReadOnlySequence<byte>> observe) : PipeReader
{
    // Bytes consumed so far, and bytes already shown to the observer, counted from the connection's start.
    private long _consumed;
    private long _observed;
    private ReadOnlySequence<byte> _lastBuffer;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        Show(result.Buffer);
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Show(result.Buffer);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _consumed += _lastBuffer.Slice(0, consumed).Length;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private void Show(ReadOnlySequence<byte> buffer)
    {
        _lastBuffer = buffer;
        var seen = _observed - _consumed;
        if (seen < buffer.Length)
        {
            observe(buffer.Slice(seen));
            _observed = _consumed + buffer.Length;
        }
    }
}
