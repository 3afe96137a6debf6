namespace Relay.HttpProxy.Streams;

/// <summary>
/// Bytes a sender may still put on the channel before the receiver makes room: the flow control of
/// one stream direction, or of all bodies to one peer. A take waits until the whole amount fits, or
/// until the window is wholly free (so a chunk larger than the window still goes, alone). A stream's
/// window grows with grants beyond its size (a receiver on a slow link grants more than it first
/// allowed); the budget of all bodies to a peer never exceeds its size.
/// </summary>
internal sealed class CreditWindow
{
    private readonly object _gate = new();
    private long _size;
    private long _available;
    private TaskCompletionSource _released = NewSignal();
    private Exception? _failure;

    private readonly bool _growsWithGrants;

    public CreditWindow(long size, bool growsWithGrants = false)
    {
        _size = size;
        _available = size;
        _growsWithGrants = growsWithGrants;
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
            _available += bytes;
            if (_growsWithGrants)
            {
                _size = Math.Max(_size, _available);
            }
            else
            {
                _available = Math.Min(_size, _available);
            }
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
