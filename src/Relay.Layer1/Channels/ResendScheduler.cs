namespace Relay.Layer1.Channels;

/// <summary>
/// Decides which sent fragments are due to be written again. Pure: it reads the fragments' send
/// history, the peer's newest ack and the round-trip estimate, and reports what is due and when to
/// look next; the channel acts on it. Timestamps are those of the channel's <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Three rules, as TCP has them:
/// 1. Timeout (RFC 6298): a fragment sent <c>n</c> times is due <c>timeout × 2^(n−1)</c> after the
///    latest of its last write, the last advance of the cumulative ack and the last newly arrived
///    copy (5.3: while the peer keeps taking in files, what is queued behind is late, not lost; a
///    loss among what arrives is rule 2's to find).
/// 2. Time-ordered loss (RACK, RFC 8985): a fragment written before the newest-written fragment known
///    to have arrived is lost once that fragment's round trip and a reordering allowance have passed
///    since its own write. On a link that delivers in order this finds a loss one round trip after
///    it happened, however much a queue has inflated the smoothed estimate. (A rule by sequence order
///    and the smoothed round trip would take a fragment deep in a queue for lost while it still waits.)
/// 3. Probe (after RFC 8985, 7): when nothing has been written and no ack has shown progress for two
///    smoothed round trips, the lowest fragment the peer lacks (or, if it reports holding all, the
///    lowest unacknowledged) goes again. Then nothing written later
///    can show a loss (the end of a transfer, or a stream that waits for the very fragment whose
///    resend was lost), and the backed-off timeout would leave the link idle for many round trips.
/// </remarks>
internal sealed class ResendScheduler(TimeProvider time, RoundTripEstimator roundTrips)
{
    /// <summary>Time allowed for files overtaking each other in the folder before a gap counts as a loss.</summary>
    public static readonly TimeSpan ReorderingAllowance = TimeSpan.FromMilliseconds(50);

    /// <summary>The shortest wait between scans, so a burst of nearly-due fragments does not make a busy loop.</summary>
    public static readonly TimeSpan MinimumScanInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Adds to <paramref name="due"/>, in sequence order, every fragment of <paramref name="unacked"/>
    /// below <paramref name="endSequence"/> that was sent, is not already queued, is not held by the
    /// peer and whose time has come; returns the timestamp of the next scan.
    /// </summary>
    public long Scan(FragmentDeque unacked, long endSequence, IReadOnlyList<SequenceRange> peerHeld, long lastCumulativeAdvance, long now, List<OutboundFragment> due, NewestArrival newest = default)
    {
        var arrivalWindow = Ticks(newest.RoundTrip + (newest.Reordering > ReorderingAllowance ? newest.Reordering : ReorderingAllowance), frequency: time.TimestampFrequency);
        var frequency = time.TimestampFrequency;
        var next = now + Ticks(roundTrips.RetransmitTimeout, frequency);
        var smoothed = roundTrips.Smoothed;
        var lastWrite = 0L;
        OutboundFragment? lowestLacked = null;
        OutboundFragment? lowestSent = null;
        var firstDue = due.Count;
        for (var sequence = unacked.FirstSequence; sequence < endSequence; sequence++)
        {
            var fragment = unacked[sequence];
            lastWrite = Math.Max(lastWrite, fragment.LastSentTimestamp);
            if (fragment.SendCount > 0 && !fragment.QueuedForResend)
            {
                lowestSent ??= fragment;
            }

            if (fragment.SendCount == 0 || fragment.QueuedForResend || AckRanges.Contains(peerHeld, sequence))
            {
                continue;
            }

            lowestLacked ??= fragment;

            var since = Math.Max(fragment.LastSentTimestamp, Math.Max(lastCumulativeAdvance, newest.LearnedTimestamp));
            var dueAt = since + Ticks(roundTrips.BackedOff(fragment.SendCount), frequency);
            if (newest.SentTimestamp > fragment.LastSentTimestamp)
            {
                dueAt = Math.Min(dueAt, fragment.LastSentTimestamp + arrivalWindow);
            }

            if (dueAt <= now)
            {
                due.Add(fragment);
            }
            else if (dueAt < next)
            {
                next = dueAt;
            }
        }

        // When the peer reports holding everything yet its cumulative ack stands still, the lowest
        // unacknowledged fragment is the probe: a copy the peer has makes it answer with its ack as
        // it is now, and a copy it lost since fills the gap.
        var probe = lowestLacked ?? lowestSent;
        if (probe is not null && smoothed > TimeSpan.Zero && (due.Count == firstDue || due[firstDue] != probe))
        {
            // Silence is measured from the last write and the last sign of progress alike: a sender
            // held back by its congestion window writes nothing while the link drains, and is not lost.
            var probeAt = Math.Max(lastWrite, Math.Max(lastCumulativeAdvance, newest.LearnedTimestamp)) + (2 * Ticks(smoothed, frequency));
            if (probeAt <= now)
            {
                probe.Probe = true;
                due.Insert(firstDue, probe);
            }
            else if (probeAt < next)
            {
                next = probeAt;
            }
        }

        return Math.Max(next, now + Ticks(MinimumScanInterval, frequency));
    }

    /// <summary>The newest-written fragment known to have arrived: when it was written, the round trip it took, and the reordering to allow.</summary>
    public readonly record struct NewestArrival(long SentTimestamp, TimeSpan RoundTrip, TimeSpan Reordering, long LearnedTimestamp = 0);

    private static long Ticks(TimeSpan span, long frequency) => (long)(span.TotalSeconds * frequency);
}
