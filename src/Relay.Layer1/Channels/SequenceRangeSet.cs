using System.Buffers.Binary;

namespace Relay.Layer1.Channels;

/// <summary>
/// A set of sequence numbers stored as a cumulative watermark (every number up to it is in the set)
/// plus sorted, disjoint, non-adjacent ranges above it. Sequence numbers start at 1.
/// </summary>
internal sealed class SequenceRangeSet
{
    private readonly List<SequenceRange> _ranges = [];

    public long Cumulative { get; private set; }

    public IReadOnlyList<SequenceRange> RangesAboveCumulative => _ranges;

    public bool Contains(long sequence)
    {
        if (sequence <= Cumulative)
        {
            return true;
        }

        var index = FindFirstEndingAtOrAfter(sequence);
        return index < _ranges.Count && _ranges[index].From <= sequence;
    }

    /// <summary>Adds [from, to]; returns true when anything was new.</summary>
    public bool Add(long from, long to)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(from, to);
        if (to <= Cumulative)
        {
            return false;
        }

        from = Math.Max(from, Cumulative + 1);
        var index = FindFirstEndingAtOrAfter(from - 1);
        var mergedFrom = from;
        var mergedTo = to;
        var removeCount = 0;
        var added = true;
        for (var i = index; i < _ranges.Count && _ranges[i].From <= to + 1; i++)
        {
            var range = _ranges[i];
            if (range.From <= from && range.To >= to)
            {
                added = false;
            }

            mergedFrom = Math.Min(mergedFrom, range.From);
            mergedTo = Math.Max(mergedTo, range.To);
            removeCount++;
        }

        if (!added)
        {
            return false;
        }

        _ranges.RemoveRange(index, removeCount);
        if (mergedFrom == Cumulative + 1)
        {
            Cumulative = mergedTo;
        }
        else
        {
            _ranges.Insert(index, new SequenceRange(mergedFrom, mergedTo));
        }

        return true;
    }

    /// <summary>Takes one number out again (a receiver that lost what it held); returns true when it was in.</summary>
    public bool Remove(long sequence)
    {
        if (sequence <= Cumulative)
        {
            var through = Cumulative;
            Cumulative = sequence - 1;
            if (sequence < through)
            {
                _ranges.Insert(0, new SequenceRange(sequence + 1, through));
            }

            return true;
        }

        var index = FindFirstEndingAtOrAfter(sequence);
        if (index == _ranges.Count || _ranges[index].From > sequence)
        {
            return false;
        }

        var range = _ranges[index];
        _ranges.RemoveAt(index);
        if (sequence < range.To)
        {
            _ranges.Insert(index, new SequenceRange(sequence + 1, range.To));
        }

        if (sequence > range.From)
        {
            _ranges.Insert(index, new SequenceRange(range.From, sequence - 1));
        }

        return true;
    }

    /// <summary>Raises the watermark (the peer or our own durable state says everything up to it is done).</summary>
    public void AdvanceCumulative(long cumulative)
    {
        if (cumulative <= Cumulative)
        {
            return;
        }

        Cumulative = cumulative;
        var drop = 0;
        while (drop < _ranges.Count && _ranges[drop].From <= Cumulative + 1)
        {
            Cumulative = Math.Max(Cumulative, _ranges[drop].To);
            drop++;
        }

        _ranges.RemoveRange(0, drop);
    }

    public void Clear()
    {
        Cumulative = 0;
        _ranges.Clear();
    }

    public byte[] Serialize()
    {
        var bytes = new byte[8 + 4 + (_ranges.Count * 16)];
        BinaryPrimitives.WriteInt64BigEndian(bytes, Cumulative);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), _ranges.Count);
        for (var i = 0; i < _ranges.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(12 + (i * 16)), _ranges[i].From);
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(20 + (i * 16)), _ranges[i].To);
        }

        return bytes;
    }

    public static SequenceRangeSet Deserialize(ReadOnlySpan<byte> bytes)
    {
        var set = new SequenceRangeSet();
        if (bytes.Length < 12)
        {
            throw new InvalidDataException("The stored sequence set is shorter than its header.");
        }

        set.Cumulative = BinaryPrimitives.ReadInt64BigEndian(bytes);
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes[8..]);
        if (count < 0 || bytes.Length != 12 + ((long)count * 16))
        {
            throw new InvalidDataException("The stored sequence set has a bad range count.");
        }

        for (var i = 0; i < count; i++)
        {
            set.Add(
                BinaryPrimitives.ReadInt64BigEndian(bytes[(12 + (i * 16))..]),
                BinaryPrimitives.ReadInt64BigEndian(bytes[(20 + (i * 16))..]));
        }

        return set;
    }

    // Binary search: index of the first range whose To >= sequence.
    private int FindFirstEndingAtOrAfter(long sequence)
    {
        int low = 0, high = _ranges.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_ranges[mid].To < sequence)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
