namespace Relay.Layer1.Channels;

/// <summary>
/// Retransmission timeout from measured round trips, in the manner of RFC 6298: a smoothed round
/// trip and its variation, clamped between a floor and a cap. Samples must come only from files
/// sent once (Karn's rule), which the caller ensures. An estimate kept from an earlier run, or an
/// expected delay from configuration, may seed it, so a slow link is not flooded before its first ack.
/// </summary>
internal sealed class RoundTripEstimator(TimeSpan initial, TimeSpan minimum, TimeSpan maximum)
{
    private double _smoothedMs = -1;
    private double _variationMs;

    public TimeSpan Smoothed => _smoothedMs < 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(_smoothedMs);

    public TimeSpan Variation => TimeSpan.FromMilliseconds(_variationMs);

    /// <summary>Samples taken in this run (a seed is not one).</summary>
    public long Samples { get; private set; }

    /// <summary>Starts from an estimate made elsewhere; later samples refine it as usual.</summary>
    public void Seed(TimeSpan smoothed, TimeSpan variation)
    {
        _smoothedMs = Math.Max(0, smoothed.TotalMilliseconds);
        _variationMs = Math.Max(0, variation.TotalMilliseconds);
        UpdateTimeout();
    }

    public TimeSpan RetransmitTimeout { get; private set; } = initial;

    public void AddSample(TimeSpan roundTrip)
    {
        Samples++;
        var sample = Math.Max(0, roundTrip.TotalMilliseconds);
        if (_smoothedMs < 0)
        {
            _smoothedMs = sample;
            _variationMs = sample / 2;
        }
        else
        {
            _variationMs = (0.75 * _variationMs) + (0.25 * Math.Abs(_smoothedMs - sample));
            _smoothedMs = (0.875 * _smoothedMs) + (0.125 * sample);
        }

        UpdateTimeout();
    }

    private void UpdateTimeout()
    {
        // A link whose delay hardly varies (a mirror sweeping on the clock) still gets an eighth of
        // its round trip as margin, so an ack due on the next sweep is not raced by the resend.
        var timeout = TimeSpan.FromMilliseconds(_smoothedMs + Math.Max(Math.Max(1, _smoothedMs / 8), 4 * _variationMs));
        RetransmitTimeout = timeout < minimum ? minimum : timeout > maximum ? maximum : timeout;
    }

    /// <summary>The wait before sending a fragment again after it was already sent this many times.</summary>
    public TimeSpan BackedOff(int sendCount)
    {
        var factor = Math.Pow(2, Math.Clamp(sendCount - 1, 0, 20));
        var timeout = TimeSpan.FromMilliseconds(RetransmitTimeout.TotalMilliseconds * factor);
        return timeout > maximum ? maximum : timeout;
    }
}
