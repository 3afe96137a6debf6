namespace Relay.Layer1.Channels;

/// <summary>
/// Bounds the bytes on the link (written, not yet reported held by the peer, not yet taken for
/// lost) so that a link slower than the sender does not build a long queue of files in front of
/// every resend. The signal is delay, in the manner of TCP Vegas: the lowest round trip seen over
/// the last minutes is the link's own delay; when the lowest of the recent samples rises above it by
/// more than a quarter of it, the excess is a queue this channel built, and the window is cut to
/// what the link delivered at that round trip, scaled to the base delay plus that allowance. While
/// there is no queue and the window is what limits sending, it grows every base round trip: it
/// doubles until a queue is first seen, then grows by a quarter (an eighth once a queue is near).
/// A mirror's sweeps add delay that does not grow with the bytes sent, so the lowest recent sample
/// stays near the base and the window stays open. Not thread-safe: the channel calls it under its lock.
/// </summary>
internal sealed class CongestionWindow
{
    /// <summary>How long the base round trip is remembered: a route that changed is learned again within this.</summary>
    public static readonly TimeSpan BaseWindow = TimeSpan.FromMinutes(10);

    /// <summary>The smallest queue delay tolerated, for links whose base round trip is a few milliseconds.</summary>
    public static readonly TimeSpan MinimumQueueAllowance = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Where the window starts: above a stream's first window and bandwidth × delay of a 20 MB/s
    /// link with seconds of delay, so a new channel is not slowed, but not so large that a first burst
    /// fills a narrow link with a queue of many seconds before the first round trip shows it.
    /// </summary>
    public const long InitialSize = 128L * 1024 * 1024;

    private readonly TimeProvider _time;
    private readonly long _floor;
    private readonly long _ceiling;
    private readonly MinimumFilter _base;
    private long _roundStart;
    private double _roundMinimumMs = double.MaxValue;
    private long _roundMinimumInLink;
    private bool _limitedThisRound;

    /// <param name="time">The channel's clock.</param>
    /// <param name="floor">The window never shrinks below this (a few files), so a noisy link keeps moving.</param>
    /// <param name="ceiling">The window never grows past this (the channel's own window).</param>
    public CongestionWindow(TimeProvider time, long floor, long ceiling)
    {
        _time = time;
        _floor = Math.Min(floor, ceiling);
        _ceiling = ceiling;
        _base = new MinimumFilter(time, BaseWindow);
        Size = Math.Max(_floor, Math.Min(InitialSize, ceiling));
    }

    /// <summary>How many bytes may be on the link now.</summary>
    public long Size { get; private set; }

    /// <summary>Bytes written and not yet known to have arrived or been lost.</summary>
    public long InLinkBytes { get; private set; }

    /// <summary>The lowest round trip seen lately: the link's delay without a queue; zero before any sample.</summary>
    public TimeSpan BaseRoundTrip => _base.Minimum is { } minimum ? TimeSpan.FromMilliseconds(minimum) : TimeSpan.Zero;

    /// <summary>Times the window was cut for a queue.</summary>
    public long Reductions { get; private set; }

    /// <summary>A file of this many new bytes may go: the link has room, or nothing is on it.</summary>
    public bool HasRoomFor(long bytes) => InLinkBytes == 0 || InLinkBytes + bytes <= Size;

    /// <summary>New data waited for room: the window, not the application, set the pace this round.</summary>
    public void MarkLimited() => _limitedThisRound = true;

    /// <summary>A copy of the fragment was written: it is on the link until it arrives or is taken for lost.</summary>
    public void OnWritten(OutboundFragment fragment)
    {
        if (!fragment.InLink)
        {
            fragment.InLink = true;
            InLinkBytes += fragment.DataLength;
        }

        fragment.InLinkAtSend = InLinkBytes;
    }

    /// <summary>The peer holds the fragment, or it is taken for lost: it no longer occupies the link.</summary>
    public void OnLeftLink(OutboundFragment fragment)
    {
        if (fragment.InLink)
        {
            fragment.InLink = false;
            InLinkBytes -= fragment.DataLength;
        }
    }

    /// <summary>Takes a round trip measured on a fragment sent once, with the bytes on the link when it was written.</summary>
    public void OnRoundTrip(TimeSpan roundTrip, long inLinkAtSend)
    {
        var now = _time.GetTimestamp();
        var sampleMs = Math.Max(0.001, roundTrip.TotalMilliseconds);
        _base.Add(sampleMs, now);
        if (_roundStart != 0 && sampleMs < _roundMinimumMs)
        {
            _roundMinimumMs = sampleMs;
            _roundMinimumInLink = inLinkAtSend;
        }

        var baseMs = _base.Minimum ?? sampleMs;
        if (_roundStart == 0)
        {
            // The first sample only starts the clock: a round is the samples after its start.
            StartRound(now);
            return;
        }

        // One decision per base round trip: what the window did shows only a round trip later.
        if (_time.GetElapsedTime(_roundStart, now).TotalMilliseconds < baseMs)
        {
            return;
        }

        var allowanceMs = Math.Max(MinimumQueueAllowance.TotalMilliseconds, baseMs / 4);
        var queueMs = _roundMinimumMs - baseMs;

        // A queue built while this channel had little on the link is someone else's (the peer's data
        // in front of the acks, another sender): cutting for it would only slow this channel.
        var ours = _roundMinimumInLink >= _floor;
        if (queueMs > allowanceMs && ours)
        {
            // What was on the link at that round trip, scaled to the delay with only the allowance queued.
            var target = (long)(_roundMinimumInLink * (baseMs + allowanceMs) / _roundMinimumMs);
            if (target < Size)
            {
                Size = Math.Max(_floor, target);
                Reductions++;
            }
        }
        else if (_limitedThisRound)
        {
            // Until a queue has first been seen the window doubles, as TCP's slow start does; after
            // that growth is gentle, faster while no queue shows at all, so the window hovers near
            // the link's size instead of overshooting it every other round.
            var growth = Reductions == 0 ? Size : queueMs < allowanceMs / 2 ? Size / 4 : Size / 8;
            Size = Math.Min(_ceiling, Size + growth);
        }

        StartRound(now);
    }

    private void StartRound(long now)
    {
        _roundStart = now;
        _roundMinimumMs = double.MaxValue;
        _limitedThisRound = false;
    }

    // The minimum of the samples of a sliding span of time: a queue of samples each lower than the
    // ones after it, so the front is the minimum and each sample is added and dropped once.
    private sealed class MinimumFilter(TimeProvider time, TimeSpan span)
    {
        private readonly LinkedList<(double Value, long Timestamp)> _samples = new();

        public double? Minimum
        {
            get
            {
                var now = time.GetTimestamp();
                while (_samples.First is { } first && time.GetElapsedTime(first.Value.Timestamp, now) > span)
                {
                    _samples.RemoveFirst();
                }

                return _samples.First?.Value.Value;
            }
        }

        public void Add(double value, long timestamp)
        {
            while (_samples.Last is { } last && last.Value.Value >= value)
            {
                _samples.RemoveLast();
            }

            _samples.AddLast((value, timestamp));
        }
    }
}
