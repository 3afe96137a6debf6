namespace Relay.HttpProxy.Entry;

/// <summary>
/// One request's claim to fetch a key for the route cache while others for the key wait. Disposing it
/// (once the response is kept, or known not to be) lets them look again; later disposals do nothing.
/// </summary>
internal sealed class CacheFill : IDisposable
{
    private readonly Action<CacheFill> _end;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ended;

    public CacheFill(string key, Action<CacheFill> end)
    {
        Key = key;
        _end = end;
    }

    public string Key { get; }

    /// <summary>Completes when the claim ends.</summary>
    public Task Done => _done.Task;

    public void Dispose()
    {
        // Given up before the waiters wake: one that looks again may then claim the key itself.
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            _end(this);
            _done.SetResult();
        }
    }
}
