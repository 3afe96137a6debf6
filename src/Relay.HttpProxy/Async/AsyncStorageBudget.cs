namespace Relay.HttpProxy.Async;

/// <summary>
/// The disk space all kept async responses may use together (<see cref="IngressOptions.MaxAsyncStorageBytes"/>):
/// bytes are taken before they are written and given back when their file is deleted.
/// </summary>
internal sealed class AsyncStorageBudget(long limit, long largestResponse)
{
    private long _used;

    public long Limit => limit;

    public long Used => Interlocked.Read(ref _used);

    /// <summary>
    /// A response of the largest size kept would no longer fit: new requests that want their response
    /// kept are refused, so one accepted on its own is never dropped for want of room.
    /// </summary>
    public bool IsFull => Used + largestResponse > limit;

    /// <summary>Takes <paramref name="bytes"/> if they fit; false (taking nothing) if they do not.</summary>
    public bool TryTake(long bytes)
    {
        var used = Interlocked.Read(ref _used);
        while (true)
        {
            if (used + bytes > limit)
            {
                return false;
            }

            var seen = Interlocked.CompareExchange(ref _used, used + bytes, used);
            if (seen == used)
            {
                return true;
            }

            used = seen;
        }
    }

    /// <summary>Counts bytes already on disk (files found at start-up), whether or not they fit.</summary>
    public void Count(long bytes) => Interlocked.Add(ref _used, bytes);

    public void Give(long bytes) => Interlocked.Add(ref _used, -bytes);
}
