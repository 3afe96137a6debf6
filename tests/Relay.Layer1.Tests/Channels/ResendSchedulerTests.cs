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
    public void ANewlyArrivedCopy_RestartsTheTimer()
    {
        var fragment = Send(1)[0];
        _time.Advance(Timeout / 2);

        // Something written earlier arrived just now: the link is alive, so fragment 1 is late, not lost.
        var newest = new ResendScheduler.NewestArrival(fragment.LastSentTimestamp - 1, Timeout / 2, TimeSpan.Zero, Now);
        _time.Advance(Timeout / 2);
        var found = new List<OutboundFragment>();
        _scheduler.Scan(_unacked, _unacked.EndSequence, [], 0, Now, found, newest);
        Assert.Empty(found);

        _time.Advance(Timeout / 2);
        _scheduler.Scan(_unacked, _unacked.EndSequence, [], 0, Now, found, newest);
        Assert.Equal([fragment], found);
    }

    [Fact]
    public void GapBelowAHeldFragment_IsNotTakenForLost_ByTheSmoothedRoundTripAlone()
    {
        // The estimate says 100 ms, but the fragments wait in a queue: only time order may say lost.
        for (var i = 0; i < 20; i++)
        {
            _roundTrips.AddSample(TimeSpan.FromMilliseconds(100));
        }

        Send(1, 2);

        // Past the smoothed round trip and a quarter, before the timeout and the two-round-trip probe.
        _time.Advance(TimeSpan.FromMilliseconds(190));

        Assert.Empty(Due([new SequenceRange(2, 2)]));
    }

    [Fact]
    public void ReorderingAllowance_IsAtLeastFiftyMilliseconds()
    {
        var lost = Send(1)[0];
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var arrived = Send(2)[0];
        var newest = new ResendScheduler.NewestArrival(arrived.LastSentTimestamp, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(5));
        var found = new List<OutboundFragment>();

        _time.Advance(TimeSpan.FromMilliseconds(148));
        _scheduler.Scan(_unacked, _unacked.EndSequence, [new SequenceRange(2, 2)], 0, Now, found, newest);
        Assert.Empty(found);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        _scheduler.Scan(_unacked, _unacked.EndSequence, [new SequenceRange(2, 2)], 0, Now, found, newest);
        Assert.Equal([lost], found);
    }

    [Fact]
    public void FragmentWrittenBeforeOneThatArrived_IsDueAfterThatOnesRoundTripAndTheReordering_HoweverInflatedTheEstimate()
    {
        // The smoothed estimate says 4 s (a queue inflated it); the link now takes 1 s.
        for (var i = 0; i < 20; i++)
        {
            _roundTrips.AddSample(TimeSpan.FromSeconds(4));
        }

        var lost = Send(1)[0];
        _time.Advance(TimeSpan.FromMilliseconds(10));
        var arrived = Send(2)[0];
        var newest = new ResendScheduler.NewestArrival(arrived.LastSentTimestamp, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        _time.Advance(TimeSpan.FromSeconds(1));

        var found = new List<OutboundFragment>();
        _scheduler.Scan(_unacked, _unacked.EndSequence, [], 0, Now, found, newest);
        Assert.Empty(found);

        // 1 s + 100 ms after its own write.
        _time.Advance(TimeSpan.FromMilliseconds(90));
        _scheduler.Scan(_unacked, _unacked.EndSequence, [new SequenceRange(2, 2)], 0, Now, found, newest);
        Assert.Equal([lost], found);
    }

    [Fact]
    public void FragmentsWrittenTogether_GiveNoEvidenceAgainstEachOther()
    {
        for (var i = 0; i < 20; i++)
        {
            _roundTrips.AddSample(TimeSpan.FromSeconds(4));
        }

        var fragments = Send(1, 2, 3);
        var newest = new ResendScheduler.NewestArrival(fragments[2].LastSentTimestamp, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        _time.Advance(TimeSpan.FromSeconds(2));

        var found = new List<OutboundFragment>();
        _scheduler.Scan(_unacked, _unacked.EndSequence, [new SequenceRange(3, 3)], 0, Now, found, newest);

        Assert.Empty(found);
    }

    [Fact]
    public void AfterTwoRoundTripsWithoutAWrite_TheLowestFragmentThePeerLacks_IsProbed()
    {
        var estimator = new RoundTripEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(1));
        for (var i = 0; i < 20; i++)
        {
            estimator.AddSample(TimeSpan.FromSeconds(1));
        }

        // A variable link: the timeout is far longer than two round trips.
        estimator.AddSample(TimeSpan.FromSeconds(9));
        var scheduler = new ResendScheduler(_time, estimator);
        var smoothed = estimator.Smoothed;
        Assert.True(estimator.RetransmitTimeout > 2 * smoothed);
        var fragments = Send(1, 2, 3);
        fragments[1].SendCount = 2;
        _time.Advance(TimeSpan.FromMilliseconds(500));

        // Fragment 2 went again later: the silence counts from that write. The peer holds 1.
        fragments[1].LastSentTimestamp = Now;
        SequenceRange[] held = [new(1, 1)];
        var found = new List<OutboundFragment>();
        _time.Advance((2 * smoothed) - TimeSpan.FromMilliseconds(10));
        var next = scheduler.Scan(_unacked, _unacked.EndSequence, held, 0, Now, found);
        Assert.Empty(found);
        Assert.Equal(Now + Ticks(TimeSpan.FromMilliseconds(10)), next);

        _time.Advance(TimeSpan.FromMilliseconds(10));
        scheduler.Scan(_unacked, _unacked.EndSequence, held, 0, Now, found);
        Assert.Equal([fragments[1]], found);
    }

    [Fact]
    public void APeerThatReportsHoldingEverything_ButAcksNoFurther_IsProbedWithTheLowestUnacknowledged()
    {
        for (var i = 0; i < 20; i++)
        {
            _roundTrips.AddSample(TimeSpan.FromMilliseconds(100));
        }

        var fragments = Send(1, 2);
        SequenceRange[] held = [new(1, 2)];
        _time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.Empty(Due(held));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([fragments[0]], Due(held));
        Assert.True(fragments[0].Probe);
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
