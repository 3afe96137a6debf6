namespace Relay.Layer1.OneWay;

/// <summary>
/// What a gap report asks of a send-only channel, against what its store keeps: the ranges that
/// will be written again, and those sent longer ago than <see cref="OneWaySettings.KeepSentFor"/> and forgotten.
/// </summary>
public sealed record ResendPlan(IReadOnlyList<MissingRange> Queued, IReadOnlyList<MissingRange> NoLongerKept, long LastQueued)
{
    public long QueuedCount => Queued.Sum(range => range.Count);

    public long NoLongerKeptCount => NoLongerKept.Sum(range => range.Count);
}
