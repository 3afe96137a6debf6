using Relay.Layer1.Channels;

namespace Relay.Layer1.State;

/// <summary>What the state store holds for one peer when a node opens.</summary>
internal sealed record PeerChannelState(long NextSequence, SequenceRangeSet Handled, IReadOnlyList<StoredFragment> Outbound);
