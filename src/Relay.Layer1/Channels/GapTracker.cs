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

    /// <summary>
    /// A held fragment was lost again: it is missing, since <paramref name="now"/> or since the gap it
    /// joins opened. The highest one lost lowers <see cref="Highest"/> to the one held below it instead.
    /// </summary>
    public void Reopen(long sequence, DateTimeOffset now)
    {
        if (sequence > Highest || Find(sequence) >= 0)
        {
            return;
        }

        var below = Find(sequence - 1);
        if (sequence == Highest)
        {
            if (below >= 0)
            {
                Missing -= _gaps[below].To - _gaps[below].From + 1;
                Highest = _gaps[below].From - 1;
                _gaps.RemoveAt(below);
            }
            else
            {
                Highest = sequence - 1;
            }

            return;
        }

        Missing++;
        var above = Find(sequence + 1);
        var gap = new SequenceGap(sequence, sequence, now);
        if (above >= 0)
        {
            gap = new SequenceGap(sequence, _gaps[above].To, Earlier(now, _gaps[above].Since));
            _gaps.RemoveAt(above);
        }

        if (below >= 0)
        {
            gap = new SequenceGap(_gaps[below].From, gap.To, Earlier(gap.Since, _gaps[below].Since));
            _gaps[below] = gap;
            return;
        }

        _gaps.Insert(InsertionIndex(sequence), gap);
    }

    /// <summary>The lowest <paramref name="limit"/> gaps, lowest first.</summary>
    public IReadOnlyList<SequenceGap> Lowest(int limit) => _gaps.Take(limit).ToList();

    private static DateTimeOffset Earlier(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    // Where a gap starting at sequence goes to keep them sorted.
    private int InsertionIndex(long sequence)
    {
        var index = 0;
        while (index < _gaps.Count && _gaps[index].From < sequence)
        {
            index++;
        }

        return index;
    }

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
