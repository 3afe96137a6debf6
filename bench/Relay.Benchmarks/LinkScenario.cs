using Relay.Layer1;
using Relay.Layer1.Faults;

namespace Relay.Benchmarks;

/// <summary>
/// One link of the links benchmark: what the fault pipe does in each direction between the entry
/// node and the exit node, and which way each node's peer may talk.
/// </summary>
/// <param name="Key">Short name used as the figures' prefix in the JSON line.</param>
/// <param name="Title">What the link is, for the report.</param>
/// <param name="Forward">Entry node to exit node.</param>
/// <param name="Back">Exit node to entry node (blocked for a diode).</param>
/// <param name="CapacityBytesPerSecond">The link's rate per direction, or zero when uncapped.</param>
/// <param name="CombinedLoss">The share of files that do not arrive whole, for the amplification target; zero without loss.</param>
internal sealed record LinkScenario(
    string Key,
    string Title,
    FaultProfile Forward,
    FaultProfile Back,
    long CapacityBytesPerSecond,
    double CombinedLoss)
{
    /// <summary>The entry node's setting for its peer, the exit node.</summary>
    public PeerDirection EntryDirection { get; init; } = PeerDirection.Both;

    /// <summary>The exit node's setting for its peer, the entry node.</summary>
    public PeerDirection ExitDirection { get; init; } = PeerDirection.Both;

    /// <summary>Nothing comes back: requests are answered 202 by the entry and counted at the callee.</summary>
    public bool OneWay => EntryDirection == PeerDirection.SendOnly;

    /// <summary>How long one round trip may take at most on this link, sweeps and latency included, before resends.</summary>
    public TimeSpan RoundTripBound => Forward.SweepEvery + Forward.Latency + Back.SweepEvery + Back.Latency;
}
