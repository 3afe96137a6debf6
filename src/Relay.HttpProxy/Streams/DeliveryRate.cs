namespace Relay.HttpProxy.Streams;

/// <summary>
/// The rate at which the peer acknowledges body bytes, measured the way TCP's BBR measures delivery
/// rate: when a chunk is acknowledged, the body bytes acknowledged since it was queued, over the time
/// since. The estimate is the highest recent sample: a sample taken while a stream had little to send
/// understates the link, never overstates it.
/// </summary>
internal sealed class DeliveryRate
{
    private const int Samples = 16;

    // A link's capacity changes slowly (a sweep schedule, a line); old samples age out after this.
    private static readonly TimeSpan SampleLifetime = TimeSpan.FromMinutes(10);

    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Sample[] _samples = new Sample[Samples];
    private int _next;
    private long _delivered;

    public DeliveryRate(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Body bytes per second the link has carried recently; null before any body was acknowledged.</summary>
    public double? BytesPerSecond
    {
        get
        {
            var now = _time.GetTimestamp();
            double? best = null;
            lock (_gate)
            {
                foreach (var sample in _samples)
                {
                    if (sample.At != 0 && _time.GetElapsedTime(sample.At, now) < SampleLifetime && (best is null || sample.BytesPerSecond > best))
                    {
                        best = sample.BytesPerSecond;
                    }
                }
            }

            return best;
        }
    }

    /// <summary>Taken when a chunk is queued.</summary>
    public Mark Queued() => new(Interlocked.Read(ref _delivered), _time.GetTimestamp());

    /// <summary>The chunk queued at <paramref name="queued"/>, of <paramref name="bytes"/> body bytes, was acknowledged.</summary>
    public void Acknowledged(Mark queued, int bytes)
    {
        var delivered = Interlocked.Add(ref _delivered, bytes);
        var elapsed = _time.GetElapsedTime(queued.Timestamp);
        if (elapsed <= TimeSpan.Zero)
        {
            return;
        }

        var rate = (delivered - queued.Delivered) / elapsed.TotalSeconds;
        lock (_gate)
        {
            _samples[_next] = new Sample(rate, _time.GetTimestamp());
            _next = (_next + 1) % Samples;
        }
    }

    /// <summary>Bytes acknowledged so far, and when, at the moment a chunk was queued.</summary>
    internal readonly record struct Mark(long Delivered, long Timestamp);

    private readonly record struct Sample(double BytesPerSecond, long At);
}
