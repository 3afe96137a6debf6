using Microsoft.Extensions.Time.Testing;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;

namespace Relay.Layer1.Tests.Channels;

public sealed class ResendSchedulerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(400);
    private readonly FakeTimeProvider _time = new();
    // A floor above the loss window below, so a gap found by selective acks goes before any timeout.
    private readonly RoundTripEstimator _roundTrips = new(Timeout, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5));
    private readonly ResendScheduler _scheduler;
    private readonly FragmentDeque _unacked = new(1);

    public ResendSchedulerTests() => _scheduler = new ResendScheduler(_time, _roundTrips);

    [Fact]
    public void SentFragment_IsDueExactlyWhenItsTimeoutHasPassed_AndTheNextScanIsThen()
    {
        var sent = Send(1, 2);

        var next = Scan(out var due);
        Assert.Empty(due);
        Assert.Equal(Now + Ticks(Timeout), next);

        _time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.Empty(Due());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(sent, Due());
    }

    [Fact]
    public void FragmentSentAgain_WaitsTwiceAsLong_UpToTheCap()
    {
        var fragment = Send(1)[0];
        fragment.SendCount = 3;

        _time.Advance((Timeout * 4) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(Due());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([fragment], Due());

        fragment.SendCount = 20;
        fragment.LastSentTimestamp = Now;
        _time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));
        Assert.Empty(Due());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([fragment], Due());
    }

    [Fact]
    public void UnsentQueuedAndHeldFragments_AreNeverDue()
    {
        var fragments = Send(1, 2, 3);
        Append(4);
        fragments[0].QueuedForResend = true;
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal([fragments[2]], Due(held: [new SequenceRange(2, 2)]));
    }

    [Fact]
    public void AdvancingCumulativeAck_RestartsTheTimer()
    {
        var fragment = Send(1)[0];
        _time.Advance(Timeout / 2);
        var advance = Now;
        _time.Advance(Timeout / 2);

        Assert.Empty(Due(lastCumulativeAdvance: advance));
        _time.Advance(Timeout / 2);
        Assert.Equal([fragment], Due(lastCumulativeAdvance: advance));
    }

    [Fact]
    public void GapBelowAHeldFragment_IsDueAfterARoundTripAndTheReorderingAllowance_NotTheTimeout()
    {
        for (var i = 0; i < 20; i++)
        {
            _roundTrips.AddSample(TimeSpan.FromMilliseconds(100));
        }

        var fragments = Send(1, 2);
        var held = new[] { new SequenceRange(2, 2) };

        // A quarter of 100 ms is below the 50 ms allowance, so the allowance counts.
        _time.Advance(TimeSpan.FromMilliseconds(149));
        Assert.Empty(Due(held));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([fragments[0]], Due(held));
    }

    [Fact]
    public void ManyNearlyDueFragments_DoNotMakeTheNextScanSooner_ThanTheMinimumInterval()
    {
        var fragment = Send(1)[0];
        _time.Advance(Timeout - TimeSpan.FromTicks(1));

        var next = Scan(out var due);

        Assert.Empty(due);
        Assert.Equal(Now + Ticks(ResendScheduler.MinimumScanInterval), next);
        Assert.Equal(1, fragment.SendCount);
    }

    private long Now => _time.GetTimestamp();

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private List<OutboundFragment> Send(params long[] sequences)
    {
        var sent = new List<OutboundFragment>();
        foreach (var sequence in sequences)
        {
            var fragment = Append(sequence);
            fragment.SendCount = 1;
            fragment.LastSentTimestamp = Now;
            sent.Add(fragment);
        }

        return sent;
    }

    private OutboundFragment Append(long sequence)
    {
        var fragment = new OutboundFragment(sequence, FragmentFlags.First | FragmentFlags.Last, sequence, new byte[10]);
        _unacked.Append(fragment);
        return fragment;
    }

    private List<OutboundFragment> Due(IReadOnlyList<SequenceRange>? held = null, long lastCumulativeAdvance = 0)
    {
        Scan(out var due, held, lastCumulativeAdvance);
        return due;
    }

    private long Scan(out List<OutboundFragment> due, IReadOnlyList<SequenceRange>? held = null, long lastCumulativeAdvance = 0)
    {
        due = [];
        return _scheduler.Scan(_unacked, _unacked.EndSequence, held ?? [], lastCumulativeAdvance, Now, due);
    }
}
