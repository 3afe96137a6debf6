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
}
