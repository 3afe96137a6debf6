namespace Relay.HttpProxy.Streams;

/// <summary>
/// Bytes a sender may still put on the channel before the receiver makes room: the flow control of
/// one stream direction, or of all bodies to one peer. A take waits until the whole amount fits, or
/// until the window is wholly free (so a chunk larger than the window still goes, alone).
/// </summary>
internal sealed class CreditWindow
{
    private readonly object _gate = new();
    private readonly long _size;
    private long _available;
    private TaskCompletionSource _released = NewSignal();
    private Exception? _failure;

    public CreditWindow(long size)
    {
        _size = size;
        _available = size;
    }

    public long Available
    {
        get
        {
            lock (_gate)
            {
                return _available;
            }
        }
    }

    public async ValueTask TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (_failure is not null)
                {
                    throw _failure;
                }

                if (_available >= bytes || _available == _size)
                {
                    _available -= bytes;
                    return;
                }

                released = _released.Task;
            }

            await released.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Release(long bytes)
    {
        TaskCompletionSource released;
        lock (_gate)
        {
            _available = Math.Min(_size, _available + bytes);
            released = _released;
            _released = NewSignal();
        }

        released.TrySetResult();
    }

    /// <summary>Wakes every waiter with <paramref name="failure"/>; later takes throw it too.</summary>
    public void Fail(Exception failure)
    {
        TaskCompletionSource released;
        lock (_gate)
        {
            _failure ??= failure;
            released = _released;
            _released = NewSignal();
        }

        released.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
