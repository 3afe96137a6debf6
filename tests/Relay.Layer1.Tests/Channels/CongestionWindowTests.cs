using Microsoft.Extensions.Time.Testing;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;

namespace Relay.Layer1.Tests.Channels;

public sealed class CongestionWindowTests
{
    private const long MiB = 1024 * 1024;
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void BytesOnTheLink_CountEachFragmentOnceUntilItLeaves()
    {
        var window = new CongestionWindow(_time, 4 * MiB, 64 * MiB);
        var first = Fragment(1, (int)MiB);
        var second = Fragment(2, (int)MiB);

        window.OnWritten(first);
        window.OnWritten(second);
        window.OnWritten(first);

        Assert.Equal(2 * MiB, window.InLinkBytes);
        Assert.Equal(2 * MiB, second.InLinkAtSend);
        window.OnLeftLink(first);
        window.OnLeftLink(first);
        Assert.Equal(MiB, window.InLinkBytes);
        window.OnLeftLink(second);
        Assert.Equal(0, window.InLinkBytes);
    }

    [Fact]
    public void AnEmptyLink_TakesAFileLargerThanTheWindow()
    {
        var window = new CongestionWindow(_time, MiB, MiB);

        Assert.True(window.HasRoomFor(8 * MiB));
        window.OnWritten(Fragment(1, (int)MiB));
        Assert.False(window.HasRoomFor(1));
    }

    [Fact]
    public void AQueueThatGrowsWithTheBytesSent_CutsTheWindowToTheBaseDelayPlusAQuarter()
    {
        // A 4 s link: light traffic shows the base; later, 160 MiB on the link took 8 s.
        var window = BaseThenRound(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), 160 * MiB);

        // 160 MiB at 8 s is 20 MiB/s; at 4 s + 1 s that is 100 MiB.
        Assert.Equal(100 * MiB, window.Size);
        Assert.Equal(1, window.Reductions);
        Assert.Equal(TimeSpan.FromSeconds(4), window.BaseRoundTrip);
    }

    [Fact]
    public void AQueueBuiltWhileLittleOfOursWasOnTheLink_IsNotOurs()
    {
        // The peer's data fills the way back: our acks-only traffic sees 8 s round trips.
        var window = BaseThenRound(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), 3 * MiB);

        Assert.Equal(CongestionWindow.InitialSize, window.Size);
        Assert.Equal(0, window.Reductions);
    }

    [Fact]
    public void DelayWithinTheAllowance_LeavesTheWindowAlone()
    {
        var window = BaseThenRound(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4.9), 160 * MiB);

        Assert.Equal(CongestionWindow.InitialSize, window.Size);
        Assert.Equal(0, window.Reductions);
    }

    [Fact]
    public void ASweepingMirror_WhoseDelayDoesNotGrowWithTheBytesSent_KeepsTheWindowOpen()
    {
        var window = new CongestionWindow(_time, 4 * MiB, 512 * MiB);
        var random = new Random(7);

        // A sweep every 10 s each way: round trips anywhere from 1 s to 20 s, whatever is on the link.
        // Every round of the base round trip has samples from files written just before a sweep.
        window.OnRoundTrip(TimeSpan.FromSeconds(1), MiB);
        for (var round = 0; round < 60; round++)
        {
            for (var sample = 0; sample < 20; sample++)
            {
                var roundTrip = sample == 0 ? TimeSpan.FromSeconds(1 + (random.NextDouble() * 0.2)) : TimeSpan.FromSeconds(1 + (random.NextDouble() * 19));
                window.OnRoundTrip(roundTrip, (round + 1) * 8 * MiB);
            }

            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, window.Reductions);
        Assert.Equal(CongestionWindow.InitialSize, window.Size);
    }

    [Fact]
    public void ALimitingWindow_GrowsByAQuarterWhileNoQueueShows_AndByAnEighthNearOne()
    {
        var window = new CongestionWindow(_time, 4 * MiB, 200 * MiB);
        window.OnRoundTrip(TimeSpan.FromSeconds(1), MiB);
        _time.Advance(TimeSpan.FromSeconds(1));
        window.OnRoundTrip(TimeSpan.FromSeconds(3), 60 * MiB);
        Assert.Equal(25 * MiB, window.Size);

        window.MarkLimited();
        _time.Advance(TimeSpan.FromSeconds(1));
        window.OnRoundTrip(TimeSpan.FromSeconds(1), 20 * MiB);
        Assert.Equal(25 * MiB + (25 * MiB / 4), window.Size);

        // 0.2 s of queue is within the 0.25 s allowance but past half of it.
        var before = window.Size;
        window.MarkLimited();
        _time.Advance(TimeSpan.FromSeconds(1));
        window.OnRoundTrip(TimeSpan.FromSeconds(1.2), 20 * MiB);
        Assert.Equal(before + (before / 8), window.Size);
    }

    [Fact]
    public void UntilAQueueIsSeen_ALimitingWindowDoubles_UpToTheCeiling()
    {
        var window = new CongestionWindow(_time, 4 * MiB, 300 * MiB);
        Assert.Equal(CongestionWindow.InitialSize, window.Size);
        window.OnRoundTrip(TimeSpan.FromSeconds(1), MiB);

        window.MarkLimited();
        _time.Advance(TimeSpan.FromSeconds(1));
        window.OnRoundTrip(TimeSpan.FromSeconds(1), 100 * MiB);
        Assert.Equal(2 * CongestionWindow.InitialSize, window.Size);

        window.MarkLimited();
        _time.Advance(TimeSpan.FromSeconds(1));
        window.OnRoundTrip(TimeSpan.FromSeconds(1), 200 * MiB);
        Assert.Equal(300 * MiB, window.Size);
    }

    [Fact]
    public void AWindowThatDidNotLimit_DoesNotGrow()
    {
        var window = new CongestionWindow(_time, 4 * MiB, 1024 * MiB);
        window.OnRoundTrip(TimeSpan.FromSeconds(1), MiB);
        _time.Advance(TimeSpan.FromSeconds(1));
        window.OnRoundTrip(TimeSpan.FromSeconds(3), 40 * MiB);
        var cut = window.Size;

        // Not limited: the application, not the window, set the pace, so nothing is learned.
        _time.Advance(TimeSpan.FromSeconds(1));
        window.OnRoundTrip(TimeSpan.FromSeconds(1), MiB);
        Assert.Equal(cut, window.Size);
    }

    [Fact]
    public void TheWindow_NeverFallsBelowItsFloor()
    {
        var window = new CongestionWindow(_time, 32 * MiB, 64 * MiB);
        window.OnRoundTrip(TimeSpan.FromMilliseconds(2), MiB);
        _time.Advance(TimeSpan.FromSeconds(1));
        window.OnRoundTrip(TimeSpan.FromSeconds(1), 40 * MiB);

        Assert.Equal(32 * MiB, window.Size);
    }

    [Fact]
    public void TheBaseRoundTrip_IsForgottenAfterItsSpan()
    {
        var window = new CongestionWindow(_time, 4 * MiB, 512 * MiB);
        window.OnRoundTrip(TimeSpan.FromSeconds(1), MiB);
        _time.Advance(TimeSpan.FromMinutes(5));
        window.OnRoundTrip(TimeSpan.FromSeconds(3), MiB);
        Assert.Equal(TimeSpan.FromSeconds(1), window.BaseRoundTrip);

        _time.Advance(CongestionWindow.BaseWindow - TimeSpan.FromMinutes(4));
        Assert.Equal(TimeSpan.FromSeconds(3), window.BaseRoundTrip);
    }

    // A first sample shows the base; one base round trip later, a sample with the given bytes on the link.
    private CongestionWindow BaseThenRound(TimeSpan baseRoundTrip, TimeSpan roundTrip, long inLink)
    {
        var window = new CongestionWindow(_time, 4 * MiB, 512 * MiB);
        window.OnRoundTrip(baseRoundTrip, MiB);
        _time.Advance(baseRoundTrip);
        window.OnRoundTrip(roundTrip, inLink);
        return window;
    }

    private static OutboundFragment Fragment(long sequence, int length) =>
        OutboundFragment.Spooled(sequence, FragmentFlags.First | FragmentFlags.Last, 1, sequence, 0, length, []);
}
