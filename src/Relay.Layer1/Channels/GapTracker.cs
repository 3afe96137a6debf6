namespace Relay.Layer1.Channels;

/// <summary>
/// The ranges missing from an incoming channel below the highest sequence number it holds, each with
/// the time it opened. A range opens when a fragment arrives beyond the highest one seen, and
/// shrinks or splits as the missing fragments come; its parts keep its opening time. Not
/// thread-safe: the inbound channel calls it under its lock.
/// </summary>
internal sealed class GapTracker
{
    private readonly List<SequenceGap> _gaps = [];

    /// <summary>Starts from what a restart left: every hole in <paramref name="held"/> counts as open since <paramref name="now"/>.</summary>
    public GapTracker(SequenceRangeSet held, DateTimeOffset now)
    {
        var next = held.Cumulative + 1;
        foreach (var range in held.RangesAboveCumulative)
        {
            _gaps.Add(new SequenceGap(next, range.From - 1, now));
            Missing += range.From - next;
            next = range.To + 1;
        }

        Highest = next - 1;
    }

    /// <summary>The highest sequence number held (0 when none).</summary>
    public long Highest { get; private set; }

    public int Count => _gaps.Count;

    /// <summary>Fragments missing below <see cref="Highest"/>.</summary>
    public long Missing { get; private set; }

    public void Observe(long sequence, DateTimeOffset now)
    {
        if (sequence > Highest)
        {
            if (sequence > Highest + 1)
            {
                _gaps.Add(new SequenceGap(Highest + 1, sequence - 1, now));
                Missing += sequence - 1 - Highest;
            }

            Highest = sequence;
            return;
        }

        var index = Find(sequence);
        if (index < 0)
        {
            return;
        }

        var gap = _gaps[index];
        Missing--;
        _gaps.RemoveAt(index);
        if (sequence < gap.To)
        {
            _gaps.Insert(index, gap with { From = sequence + 1 });
        }

        if (sequence > gap.From)
        {
            _gaps.Insert(index, gap with { To = sequence - 1 });
        }
    }

    /// <summary>The lowest <paramref name="limit"/> gaps, lowest first.</summary>
    public IReadOnlyList<SequenceGap> Lowest(int limit) => _gaps.Take(limit).ToList();

    // Gaps are disjoint and sorted: a binary search by their starts.
    private int Find(long sequence)
    {
        int low = 0, high = _gaps.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var gap = _gaps[middle];
            if (sequence < gap.From)
            {
                high = middle - 1;
            }
            else if (sequence > gap.To)
            {
                low = middle + 1;
            }
            else
            {
                return middle;
            }
        }

        return -1;
    }
}
