namespace Relay.Layer1.Channels;

/// <summary>
/// What the peer's newest ack says it holds of this channel, and the round trips measured from the
/// acks. Acks are state: only one with a higher ack id replaces the ranges.
/// </summary>
internal sealed class PeerAckTracker(TimeProvider time, RoundTripEstimator roundTrips, TimeSpan heldRangesLifetime, Action<TimeSpan, OutboundFragment>? sampled = null)
{
    private long _ackId = -1;
    private long _heldTimestamp;
    private long _lastSampledSequence;
    private bool _karnSampled;

    public RoundTripEstimator RoundTrips { get; } = roundTrips;

    /// <summary>The ranges the peer's newest ack lists as held above its cumulative value.</summary>
    public IReadOnlyList<SequenceRange> Held { get; private set; } = [];

    /// <summary>Takes the ack when it is newer than the last, sampling a round trip; false when it is not.</summary>
    public bool TakeNewer(AckState ack, FragmentDeque unacked, long nextUnsentSequence)
    {
        if (ack.AckId <= _ackId)
        {
            return false;
        }

        _ackId = ack.AckId;
        Held = ack.Ranges;
        _heldTimestamp = time.GetTimestamp();
        Sample(ack, unacked, nextUnsentSequence);
        return true;
    }

    /// <summary>
    /// Held ranges are a hint from memory the peer may have lost; ranges not refreshed for two timeouts
    /// (at least the given lifetime) no longer hold anything back.
    /// </summary>
    public void ForgetStaleHeld(long now)
    {
        var lifetime = RoundTrips.RetransmitTimeout * 2 > heldRangesLifetime ? RoundTrips.RetransmitTimeout * 2 : heldRangesLifetime;
        if (Held.Count > 0 && time.GetElapsedTime(_heldTimestamp, now) > lifetime)
        {
            Held = [];
        }
    }

    public bool IsHeld(long sequence) => AckRanges.Contains(Held, sequence);

    // Round trips are measured to the newest fragment the peer reports holding, not to the cumulative
    // ack: a fragment waiting behind a lost one would count the recovery time as path delay, inflate
    // the timeout, and slow the next recovery in turn. Karn's rule: only fragments sent once count,
    // except before any such sample exists: on a link slower than the first timeout every fragment is
    // sent again before its ack comes, so the time since the first copy (an upper bound) starts the
    // estimate instead of leaving it stuck at the initial timeout.
    private void Sample(AckState ack, FragmentDeque unacked, long nextUnsentSequence)
    {
        var top = Math.Min(Math.Max(ack.Cumulative, ack.Ranges.Count > 0 ? ack.Ranges[^1].To : 0), nextUnsentSequence - 1);
        if (top <= _lastSampledSequence || !unacked.ContainsSequence(top))
        {
            return;
        }

        _lastSampledSequence = top;
        var fragment = unacked[top];
        if (fragment.SendCount == 1)
        {
            var roundTrip = time.GetElapsedTime(fragment.LastSentTimestamp, time.GetTimestamp());
            RoundTrips.AddSample(roundTrip);
            sampled?.Invoke(roundTrip, fragment);
            _karnSampled = true;
        }
        else if (!_karnSampled && fragment.FirstSentTimestamp > 0)
        {
            RoundTrips.AddSample(time.GetElapsedTime(fragment.FirstSentTimestamp, time.GetTimestamp()));
        }
    }
}
