namespace Relay.Layer1.Channels;

/// <summary>
/// What a receiver holds of one channel. Acks are state, not events: a newer one (higher
/// <see cref="AckId"/>) supersedes older ones. Everything up to <see cref="Cumulative"/> is handled
/// durably; the ranges above it are held (durably or in memory) and need no resend while listed.
/// </summary>
internal sealed record AckState(long AckId, long Cumulative, IReadOnlyList<SequenceRange> Ranges);
