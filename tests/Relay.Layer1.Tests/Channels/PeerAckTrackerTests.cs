using Microsoft.Extensions.Time.Testing;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;

namespace Relay.Layer1.Tests.Channels;

public sealed class PeerAckTrackerTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RoundTripEstimator _roundTrips = new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(1));
    private readonly FragmentDeque _unacked = new(1);
    private readonly PeerAckTracker _tracker;

    public PeerAckTrackerTests() => _tracker = new PeerAckTracker(_time, _roundTrips, TimeSpan.FromSeconds(30));

    [Fact]
    public void OlderOrEqualAckIds_AreIgnored()
    {
        Sent(1, sendCount: 1);
        Assert.True(_tracker.TakeNewer(new AckState(5, 0, [new SequenceRange(1, 1)]), _unacked, 2));
        Assert.False(_tracker.TakeNewer(new AckState(5, 0, []), _unacked, 2));
        Assert.False(_tracker.TakeNewer(new AckState(4, 0, []), _unacked, 2));
        Assert.True(_tracker.IsHeld(1));
    }

    [Fact]
    public void FragmentSentOnce_GivesASampleFromItsWrite()
    {
        Sent(1, sendCount: 1);
        _time.Advance(TimeSpan.FromMilliseconds(700));

        _tracker.TakeNewer(new AckState(1, 1, []), _unacked, 2);

        Assert.Equal(1, _roundTrips.Samples);
        Assert.Equal(TimeSpan.FromMilliseconds(700), _roundTrips.Smoothed);
    }

    [Fact]
    public void LinkSlowerThanTheFirstTimeout_StartsTheEstimateFromTheFirstCopy()
    {
        // A 20 s sweep: the fragment went again at 1 s and 3 s before its ack came.
        var fragment = Sent(1, sendCount: 3);
        _time.Advance(TimeSpan.FromSeconds(3));
        fragment.LastSentTimestamp = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(17));

        _tracker.TakeNewer(new AckState(1, 1, []), _unacked, 2);

        Assert.Equal(TimeSpan.FromSeconds(20), _roundTrips.Smoothed);
        Assert.True(_roundTrips.RetransmitTimeout > TimeSpan.FromSeconds(20), _roundTrips.RetransmitTimeout.ToString());
        Assert.Equal(3, fragment.SendCount);
    }

    [Fact]
    public void OnceAFragmentSentOnceWasMeasured_ResentOnesNoLongerCount()
    {
        Sent(1, sendCount: 1);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _tracker.TakeNewer(new AckState(1, 0, [new SequenceRange(1, 1)]), _unacked, 3);
        Sent(2, sendCount: 2);
        _time.Advance(TimeSpan.FromSeconds(30));

        _tracker.TakeNewer(new AckState(2, 2, []), _unacked, 3);

        Assert.Equal(1, _roundTrips.Samples);
        Assert.Equal(TimeSpan.FromMilliseconds(500), _roundTrips.Smoothed);
    }

    [Fact]
    public void HeldRanges_AreForgottenAfterTwoTimeouts_OrTheLifetime()
    {
        Sent(1, sendCount: 1);
        _tracker.TakeNewer(new AckState(1, 0, [new SequenceRange(1, 1)]), _unacked, 2);
        _roundTrips.Seed(TimeSpan.FromSeconds(60), TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(67.5), _roundTrips.RetransmitTimeout);

        _time.Advance(TimeSpan.FromSeconds(130));
        _tracker.ForgetStaleHeld(_time.GetTimestamp());
        Assert.True(_tracker.IsHeld(1), "two timeouts of 67.5 s have not passed");

        _time.Advance(TimeSpan.FromSeconds(6));
        _tracker.ForgetStaleHeld(_time.GetTimestamp());
        Assert.False(_tracker.IsHeld(1));
    }

    private OutboundFragment Sent(long sequence, int sendCount)
    {
        var fragment = new OutboundFragment(sequence, FragmentFlags.First | FragmentFlags.Last, sequence, new byte[8])
        {
            SendCount = sendCount,
            FirstSentTimestamp = _time.GetTimestamp(),
            LastSentTimestamp = _time.GetTimestamp(),
        };
        _unacked.Append(fragment);
        return fragment;
    }
}
