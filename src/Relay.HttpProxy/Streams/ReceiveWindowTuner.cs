namespace Relay.HttpProxy.Streams;

/// <summary>
/// Grows the window a receiver grants one stream direction until it covers the link's bandwidth ×
/// round trip, as TCP and HTTP/2 receivers auto-tune theirs. It samples how fast the reader consumes
/// (over 1 MiB or a quarter second, whichever comes first), keeps the fastest rate seen,
/// and grants up to twice that rate × the channel's round trip, never past the maximum. A link that
/// delivers in bursts (a mirror's sweep) shows its burst rate at once, so the window opens within
/// one round trip; a slow reader shows a slow rate and the window stays. On a fast local link the
/// round trip is so short that the initial window already covers it. Not thread-safe: the body
/// calls it under its lock.
/// </summary>
internal sealed class ReceiveWindowTuner(long maximum, Func<TimeSpan> roundTrip, TimeProvider time)
{
    /// <summary>A sample ends after this long even when less than <see cref="SampleBytes"/> was consumed.</summary>
    public static readonly TimeSpan SampleTime = TimeSpan.FromMilliseconds(250);

    /// <summary>A sample ends once this much was consumed (or a quarter window, if less): the first data shows the rate.</summary>
    public const long SampleBytes = 1024 * 1024;

    private long _sampleStart;
    private long _sampleBytes;
    private double _fastestBytesPerSecond;

    /// <summary>The fastest rate the reader consumed at so far, in bytes per second.</summary>
    public double FastestBytesPerSecond => _fastestBytesPerSecond;

    /// <summary>Counts consumed bytes; returns by how much the window grows now (0 mostly).</summary>
    public long OnConsumed(long window, int bytes)
    {
        var now = time.GetTimestamp();
        if (_sampleStart == 0)
        {
            // What was consumed to start the clock belongs to no span of time.
            _sampleStart = now;
            return 0;
        }

        _sampleBytes += bytes;
        var elapsed = time.GetElapsedTime(_sampleStart, now);
        if (elapsed < SampleTime && _sampleBytes < Math.Min(SampleBytes, window / 4))
        {
            return 0;
        }

        // A burst consumed faster than the clock ticks still counts as fast, not infinite.
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        _fastestBytesPerSecond = Math.Max(_fastestBytesPerSecond, _sampleBytes / seconds);
        _sampleStart = now;
        _sampleBytes = 0;
        if (window >= maximum)
        {
            return 0;
        }

        // The round trip is read once per sample: it takes the channel's lock.
        var needed = 2 * _fastestBytesPerSecond * roundTrip().TotalSeconds;
        var grown = (long)Math.Min(needed, maximum);
        return grown > window ? grown - window : 0;
    }
}
