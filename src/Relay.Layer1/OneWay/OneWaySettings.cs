namespace Relay.Layer1.OneWay;

/// <summary>
/// How a node sends to a peer it only writes to (<see cref="PeerDirection.SendOnly"/>): with no
/// acks coming back, loss is covered by writing each file more than once and by parity files, and
/// what was sent is kept for a while so an operator can ask for it again with a gap report.
/// </summary>
public sealed record OneWaySettings
{
    public const int MaxRedundancy = 8;

    public const int MaxParityEvery = 64;

    /// <summary>What a peer gets when nothing is configured: extra copies and parity only where nothing comes back.</summary>
    public static OneWaySettings DefaultsFor(PeerDirection direction) =>
        direction == PeerDirection.SendOnly
            ? new OneWaySettings { Redundancy = 2, ParityEvery = 8 }
            : new OneWaySettings();

    /// <summary>Copies written of each data file, each sealed under its own name (1 to <see cref="MaxRedundancy"/>).</summary>
    public int Redundancy { get; init; } = 1;

    /// <summary>
    /// One parity file after every this many data files, from which any one lost file of the group is
    /// rebuilt (docs/protocol.md, "Parity record"); 0 writes none. At most <see cref="MaxParityEvery"/>.
    /// </summary>
    public int ParityEvery { get; init; }

    /// <summary>How long sent messages stay in the state store, so a gap report can still be served.</summary>
    public TimeSpan KeepSentFor { get; init; } = TimeSpan.FromDays(7);

    /// <summary>What is wrong with these settings for a peer in <paramref name="direction"/>, one sentence each; empty when nothing is.</summary>
    public IReadOnlyList<string> Problems(PeerDirection direction)
    {
        var problems = new List<string>();
        if (Redundancy is < 1 or > MaxRedundancy)
        {
            problems.Add($"{nameof(Redundancy)} must be between 1 and {MaxRedundancy}.");
        }

        if (ParityEvery is < 0 or > MaxParityEvery)
        {
            problems.Add($"{nameof(ParityEvery)} must be between 0 (no parity) and {MaxParityEvery}.");
        }

        if (KeepSentFor <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(KeepSentFor)} must be positive.");
        }

        // Acks free files on a two-way link and nothing is written on a receive-only one: extra copies would only cost.
        if (direction != PeerDirection.SendOnly && (Redundancy != 1 || ParityEvery != 0))
        {
            problems.Add($"{nameof(Redundancy)} and {nameof(ParityEvery)} apply only to a {nameof(PeerDirection.SendOnly)} peer.");
        }

        return problems;
    }
}
