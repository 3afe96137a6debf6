namespace Relay.HttpProxy.Async;

/// <summary>
/// What the once-a-second sweep of requests answered 202 does when: a request waiting longer than
/// <see cref="IngressOptions.AsyncDeadline"/> is answered 504, and expired responses are purged
/// at most once per <see cref="PurgeInterval"/> (each purge is a database scan).
/// </summary>
internal sealed class AsyncSweepSchedule(TimeSpan deadline)
{
    public static readonly TimeSpan PurgeInterval = TimeSpan.FromSeconds(60);

    private long _lastPurge = long.MinValue;

    public bool IsPastDeadline(DateTimeOffset created, DateTimeOffset now) => now - created > deadline;

    /// <summary>True when a purge is due at <paramref name="now"/>; it then counts as done, so the next one waits a whole interval.</summary>
    public bool TakePurge(DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        var last = Interlocked.Read(ref _lastPurge);
        if (last != long.MinValue && ticks - last < PurgeInterval.Ticks)
        {
            return false;
        }

        return Interlocked.CompareExchange(ref _lastPurge, ticks, last) == last;
    }
}
