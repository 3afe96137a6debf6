using System.Collections.Concurrent;

namespace Relay.HttpProxy;

/// <summary>
/// What happened to one-way requests on one link since start: on the entry side those sent and those
/// refused, on the exit side how each replay ended. Nothing of the exit side's count reaches the
/// caller, so these (and the log) are the only record of it.
/// </summary>
internal sealed class OneWayCounters
{
    private readonly ConcurrentDictionary<int, long> _calleeStatuses = new();
    private long _sent;
    private long _sentBytes;
    private long _refused;
    private long _failed;
    private long _late;
    private long _duplicates;

    public long Sent => Interlocked.Read(ref _sent);

    public long SentBytes => Interlocked.Read(ref _sentBytes);

    public long Refused => Interlocked.Read(ref _refused);

    public long Failed => Interlocked.Read(ref _failed);

    public long Late => Interlocked.Read(ref _late);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>The callee's statuses for replayed requests, with how often each came.</summary>
    public IReadOnlyDictionary<int, long> CalleeStatuses => new SortedDictionary<int, long>(_calleeStatuses);

    public void CountSent(long bodyBytes)
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _sentBytes, bodyBytes);
    }

    public void CountRefused() => Interlocked.Increment(ref _refused);

    public void CountCalleeStatus(int status) => _calleeStatuses.AddOrUpdate(status, 1, (_, count) => count + 1);

    public void CountFailed() => Interlocked.Increment(ref _failed);

    public void CountLate() => Interlocked.Increment(ref _late);

    public void CountDuplicate() => Interlocked.Increment(ref _duplicates);
}
