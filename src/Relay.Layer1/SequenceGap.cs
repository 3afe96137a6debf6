namespace Relay.Layer1;

/// <summary>
/// Sequence numbers from <see cref="From"/> to <see cref="To"/> (inclusive) that a receiver lacks
/// while it holds a later one, and since when it has known that.
/// </summary>
public sealed record SequenceGap(long From, long To, DateTimeOffset Since)
{
    public long Count => To - From + 1;
}
