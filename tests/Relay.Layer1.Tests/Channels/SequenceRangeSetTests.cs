using Relay.Layer1.Channels;

namespace Relay.Layer1.Tests.Channels;

public sealed class SequenceRangeSetTests
{
    [Fact]
    public void ContiguousAdds_RaiseTheWatermark()
    {
        var set = new SequenceRangeSet();
        set.Add(1, 1);
        set.Add(2, 5);
        Assert.Equal(5, set.Cumulative);
        Assert.Empty(set.RangesAboveCumulative);
    }

    [Fact]
    public void GapsStayAsRanges_UntilFilled()
    {
        var set = new SequenceRangeSet();
        set.Add(3, 4);
        set.Add(7, 7);
        set.Add(8, 9);
        Assert.Equal(0, set.Cumulative);
        Assert.Equal([new SequenceRange(3, 4), new SequenceRange(7, 9)], set.RangesAboveCumulative);
        Assert.True(set.Contains(8));
        Assert.False(set.Contains(5));

        set.Add(1, 2);
        Assert.Equal(4, set.Cumulative);
        set.Add(5, 6);
        Assert.Equal(9, set.Cumulative);
        Assert.Empty(set.RangesAboveCumulative);
    }

    [Fact]
    public void AddingWhatIsPresent_ReportsNothingNew()
    {
        var set = new SequenceRangeSet();
        Assert.True(set.Add(10, 20));
        Assert.False(set.Add(12, 15));
        Assert.True(set.Add(15, 21));
        Assert.Equal([new SequenceRange(10, 21)], set.RangesAboveCumulative);
    }

    [Fact]
    public void AdvanceCumulative_SwallowsRangesItReaches()
    {
        var set = new SequenceRangeSet();
        set.Add(5, 6);
        set.Add(9, 12);
        set.AdvanceCumulative(8);
        Assert.Equal(12, set.Cumulative);
        Assert.Empty(set.RangesAboveCumulative);
    }

    [Fact]
    public void RandomAdds_MatchASimpleSet()
    {
        var random = new Random(7);
        var set = new SequenceRangeSet();
        var reference = new HashSet<long>();
        for (var i = 0; i < 5000; i++)
        {
            var from = random.Next(1, 2000);
            var to = from + random.Next(0, 5);
            var isNew = false;
            for (var s = from; s <= to; s++)
            {
                isNew |= reference.Add(s);
            }

            Assert.Equal(isNew, set.Add(from, to));
        }

        for (long s = 1; s <= 2010; s++)
        {
            Assert.Equal(reference.Contains(s), set.Contains(s));
        }

        var roundTrip = SequenceRangeSet.Deserialize(set.Serialize());
        Assert.Equal(set.Cumulative, roundTrip.Cumulative);
        Assert.Equal(set.RangesAboveCumulative, roundTrip.RangesAboveCumulative);
    }

    [Fact]
    public void Deserialize_RejectsABadCount()
    {
        var bytes = new SequenceRangeSet().Serialize();
        bytes[11] = 3;
        Assert.Throws<InvalidDataException>(() => SequenceRangeSet.Deserialize(bytes));
    }

    [Fact]
    public void RemovingBelowTheWatermark_LowersItAndKeepsTheRestAsARange()
    {
        var set = new SequenceRangeSet();
        set.Add(1, 10);
        set.Add(13, 14);

        Assert.True(set.Remove(6));

        Assert.Equal(5, set.Cumulative);
        Assert.Equal([new SequenceRange(7, 10), new SequenceRange(13, 14)], set.RangesAboveCumulative);
        Assert.False(set.Contains(6));
        Assert.True(set.Remove(10));
        Assert.Equal([new SequenceRange(7, 9), new SequenceRange(13, 14)], set.RangesAboveCumulative);
    }

    [Fact]
    public void RemovingFromARange_SplitsOrShrinksIt_AndWhatIsAbsentStaysAbsent()
    {
        var set = new SequenceRangeSet();
        set.Add(3, 7);

        Assert.True(set.Remove(5));
        Assert.Equal([new SequenceRange(3, 4), new SequenceRange(6, 7)], set.RangesAboveCumulative);
        Assert.True(set.Remove(3));
        Assert.Equal([new SequenceRange(4, 4), new SequenceRange(6, 7)], set.RangesAboveCumulative);
        Assert.False(set.Remove(5));
        Assert.False(set.Remove(9));

        // Filled again, it joins up as before.
        set.Add(3, 3);
        set.Add(5, 5);
        Assert.Equal([new SequenceRange(3, 7)], set.RangesAboveCumulative);
    }
}
