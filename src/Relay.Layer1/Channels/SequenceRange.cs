namespace Relay.Layer1.Channels;

/// <summary>An inclusive range of sequence numbers.</summary>
internal readonly record struct SequenceRange(long From, long To);
