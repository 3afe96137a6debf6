namespace Relay.Layer1.OneWay;

/// <summary>Sequence numbers from <see cref="From"/> to <see cref="To"/>, inclusive.</summary>
public readonly record struct MissingRange(long From, long To)
{
    public long Count => To - From + 1;

    public override string ToString() => From == To ? $"{From}" : $"{From}-{To}";
}
