namespace Relay.Layer1.Channels;

/// <summary>Membership tests against the sorted, disjoint ranges of a peer's newest ack.</summary>
internal static class AckRanges
{
    public static bool Contains(IReadOnlyList<SequenceRange> ranges, long sequence)
    {
        int low = 0, high = ranges.Count - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var range = ranges[mid];
            if (sequence < range.From)
            {
                high = mid - 1;
            }
            else if (sequence > range.To)
            {
                low = mid + 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The parts of <paramref name="ranges"/> not in <paramref name="except"/>; both sorted and disjoint.</summary>
    public static List<SequenceRange> Subtract(IReadOnlyList<SequenceRange> ranges, IReadOnlyList<SequenceRange> except)
    {
        var result = new List<SequenceRange>();
        var j = 0;
        foreach (var range in ranges)
        {
            var from = range.From;
            while (j < except.Count && except[j].To < from)
            {
                j++;
            }

            // Walks the ranges to remove that overlap this one; the last may overlap the next range too.
            var k = j;
            while (from <= range.To && k < except.Count && except[k].From <= range.To)
            {
                if (except[k].From > from)
                {
                    result.Add(new SequenceRange(from, except[k].From - 1));
                }

                from = Math.Max(from, except[k].To + 1);
                k++;
            }

            if (from <= range.To)
            {
                result.Add(new SequenceRange(from, range.To));
            }
        }

        return result;
    }
}
