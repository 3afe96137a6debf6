namespace Relay.HttpProxy.Streams;

/// <summary>
/// Grows the window a receiver grants one stream direction until it covers the link's bandwidth ×
/// round trip, as TCP and HTTP/2 receivers auto-tune theirs. Once per round trip it compares what the
/// reader consumed with the window: a reader that kept up with a sender held back by the window
/// consumed about a window per round trip, so twice that rate × the round trip is granted, at most
/// doubling each time and never past the maximum. A slow reader consumes less and the window stays.
/// On a fast local link the round trip is so short that the initial window already covers it.
/// Not thread-safe: the body calls it under its lock.
/// </summary>
internal sealed class ReceiveWindowTuner(long maximum, Func<TimeSpan> roundTrip, TimeProvider time)
{
    private long _epochStart;
    private long _epochBytes;
    private TimeSpan _trip;

    /// <summary>Counts consumed bytes; returns by how much the window grows now (0 mostly).</summary>
    public long OnConsumed(long window, int bytes)
    {
        var now = time.GetTimestamp();
        if (_epochStart == 0)
        {
            _epochStart = now;
            _epochBytes = bytes;
            _trip = roundTrip();
            return 0;
        }

        _epochBytes += bytes;
        var elapsed = time.GetElapsedTime(_epochStart, now);
        if (window >= maximum || elapsed < _trip || elapsed <= TimeSpan.Zero)
        {
            return 0;
        }

        // The round trip is read once per epoch: it takes the channel's lock.
        var needed = 2 * _epochBytes / elapsed.TotalSeconds * _trip.TotalSeconds;
        _epochStart = now;
        _epochBytes = 0;
        _trip = roundTrip();
        var grown = (long)Math.Min(Math.Min(needed, 2.0 * window), maximum);
        return grown > window ? grown - window : 0;
    }
}
