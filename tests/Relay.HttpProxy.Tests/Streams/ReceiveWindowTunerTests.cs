using Microsoft.Extensions.Time.Testing;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Tests.Streams;

public sealed class ReceiveWindowTunerTests
{
    private const long Window = 16L << 20;
    private const long Maximum = 128L << 20;

    [Fact]
    public void ReaderThatConsumesAWindowPerRoundTrip_DoublesTheWindow()
    {
        var time = new FakeTimeProvider();
        var tuner = new ReceiveWindowTuner(Maximum, () => TimeSpan.FromSeconds(4), time);

        Assert.Equal(0, tuner.OnConsumed(Window, 1 << 20));
        long growth = 0;
        for (var i = 1; i < 16; i++)
        {
            time.Advance(TimeSpan.FromSeconds(0.25));
            growth += tuner.OnConsumed(Window, 1 << 20);
        }

        Assert.Equal(0, growth);
        time.Advance(TimeSpan.FromSeconds(0.25));
        Assert.Equal(Window, tuner.OnConsumed(Window, 1 << 20));
    }

    [Fact]
    public void SlowReader_LeavesTheWindowAsItIs()
    {
        var time = new FakeTimeProvider();
        var tuner = new ReceiveWindowTuner(Maximum, () => TimeSpan.FromSeconds(4), time);

        // A quarter of the window per round trip: the window is not what holds the stream back.
        long growth = tuner.OnConsumed(Window, 1 << 20);
        for (var i = 0; i < 16; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            growth += tuner.OnConsumed(Window, 1 << 20);
        }

        Assert.Equal(0, growth);
    }

    [Fact]
    public void FastLocalLink_NeedsNoMoreThanTheInitialWindow()
    {
        var time = new FakeTimeProvider();
        var tuner = new ReceiveWindowTuner(Maximum, () => TimeSpan.FromMilliseconds(2), time);

        // 1 GB/s over a 2 ms round trip is 2 MB in flight: well inside 16 MiB.
        long growth = tuner.OnConsumed(Window, 256 * 1024);
        for (var i = 0; i < 100; i++)
        {
            time.Advance(TimeSpan.FromTicks(2_560));
            growth += tuner.OnConsumed(Window, 256 * 1024);
        }

        Assert.Equal(0, growth);
    }

    [Fact]
    public void Growth_StopsAtTheMaximum()
    {
        var time = new FakeTimeProvider();
        var tuner = new ReceiveWindowTuner(Maximum, () => TimeSpan.FromSeconds(1), time);
        var window = 100L << 20;

        tuner.OnConsumed(window, 1);
        time.Advance(TimeSpan.FromSeconds(1));
        var growth = tuner.OnConsumed(window, (int)(window - 1));

        Assert.Equal(Maximum - window, growth);
        Assert.Equal(0, tuner.OnConsumed(Maximum, 1 << 20));
    }
}
