using Relay.Layer1.Channels;

namespace Relay.Layer1.Tests.Channels;

public sealed class GapTrackerTests
{
    private static readonly DateTimeOffset Opened = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FragmentBeyondTheHighest_OpensAGapAtThatTime()
    {
        var gaps = new GapTracker(new SequenceRangeSet(), Opened);

        gaps.Observe(1, Opened);
        gaps.Observe(5, Opened.AddSeconds(3));

        Assert.Equal([new SequenceGap(2, 4, Opened.AddSeconds(3))], gaps.Lowest(10));
        Assert.Equal(3, gaps.Missing);
        Assert.Equal(5, gaps.Highest);
    }

    [Fact]
    public void FragmentInsideAGap_SplitsIt_AndBothPartsKeepItsOpeningTime()
    {
        var gaps = new GapTracker(new SequenceRangeSet(), Opened);
        gaps.Observe(10, Opened);

        gaps.Observe(4, Opened.AddMinutes(1));
        gaps.Observe(1, Opened.AddMinutes(2));
        gaps.Observe(9, Opened.AddMinutes(3));

        Assert.Equal([new SequenceGap(2, 3, Opened), new SequenceGap(5, 8, Opened)], gaps.Lowest(10));
        Assert.Equal(6, gaps.Missing);
    }

    [Fact]
    public void FillingEveryHole_LeavesNoGap()
    {
        var gaps = new GapTracker(new SequenceRangeSet(), Opened);
        foreach (var sequence in new long[] { 3, 1, 2 })
        {
            gaps.Observe(sequence, Opened);
        }

        Assert.Empty(gaps.Lowest(10));
        Assert.Equal(0, gaps.Missing);
        Assert.Equal(3, gaps.Highest);
    }

    [Fact]
    public void AfterARestart_TheHolesInWhatWasHandled_AreGapsFromTheOpening()
    {
        var handled = new SequenceRangeSet();
        handled.Add(1, 4);
        handled.Add(7, 9);

        var gaps = new GapTracker(handled, Opened);

        Assert.Equal([new SequenceGap(5, 6, Opened)], gaps.Lowest(10));
        Assert.Equal(2, gaps.Missing);
        Assert.Equal(9, gaps.Highest);
    }

    [Fact]
    public void HeldFragmentLostAgain_IsMissing_AndJoinsTheGapsBesideIt()
    {
        var gaps = new GapTracker(new SequenceRangeSet(), Opened);
        gaps.Observe(1, Opened);
        gaps.Observe(4, Opened.AddMinutes(1));
        gaps.Observe(7, Opened.AddMinutes(2));

        gaps.Reopen(4, Opened.AddMinutes(3));

        Assert.Equal([new SequenceGap(2, 6, Opened.AddMinutes(1))], gaps.Lowest(10));
        Assert.Equal(5, gaps.Missing);
        Assert.Equal(7, gaps.Highest);

        gaps.Reopen(1, Opened.AddMinutes(4));
        Assert.Equal([new SequenceGap(1, 6, Opened.AddMinutes(1))], gaps.Lowest(10));
        Assert.Equal(6, gaps.Missing);
    }

    [Fact]
    public void HighestLostAgain_LowersTheHighest_ToTheOneHeldBelowIt()
    {
        var gaps = new GapTracker(new SequenceRangeSet(), Opened);
        gaps.Observe(2, Opened);
        gaps.Observe(3, Opened);
        gaps.Observe(6, Opened.AddMinutes(1));

        gaps.Reopen(6, Opened.AddMinutes(2));

        Assert.Equal([new SequenceGap(1, 1, Opened)], gaps.Lowest(10));
        Assert.Equal(1, gaps.Missing);
        Assert.Equal(3, gaps.Highest);

        gaps.Reopen(3, Opened.AddMinutes(3));
        Assert.Equal(2, gaps.Highest);
        Assert.Equal(1, gaps.Missing);
    }
}
