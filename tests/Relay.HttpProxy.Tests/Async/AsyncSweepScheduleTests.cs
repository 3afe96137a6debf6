using Relay.HttpProxy.Async;

namespace Relay.HttpProxy.Tests.Async;

/// <summary>When the sweep answers a request 504 and when it purges expired responses.</summary>
public sealed class AsyncSweepScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void RequestIsPastItsDeadline_OnlyOnceTheWholeDeadlineHasPassed()
    {
        var schedule = new AsyncSweepSchedule(TimeSpan.FromMinutes(10));

        Assert.False(schedule.IsPastDeadline(Start, Start + TimeSpan.FromMinutes(10)));
        Assert.True(schedule.IsPastDeadline(Start, Start + TimeSpan.FromMinutes(10) + TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public void FirstSweep_Purges_ThenNotAgainWithinTheInterval()
    {
        var schedule = new AsyncSweepSchedule(TimeSpan.FromHours(1));

        Assert.True(schedule.TakePurge(Start));
        Assert.False(schedule.TakePurge(Start + TimeSpan.FromSeconds(1)));
        Assert.False(schedule.TakePurge(Start + AsyncSweepSchedule.PurgeInterval - TimeSpan.FromMilliseconds(1)));
        Assert.True(schedule.TakePurge(Start + AsyncSweepSchedule.PurgeInterval));
        Assert.False(schedule.TakePurge(Start + AsyncSweepSchedule.PurgeInterval + TimeSpan.FromSeconds(1)));
    }
}
