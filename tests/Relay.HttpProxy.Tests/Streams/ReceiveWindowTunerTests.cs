using Microsoft.Extensions.Time.Testing;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Tests.Streams;

public sealed class ReceiveWindowTunerTests
{
    private const long Window = 16L << 20;
    private const long Maximum = 128L << 20;

    [Fact]
    public void NarrowLongLink_GrowsTheWindowToTwiceTheRateTimesTheRoundTrip()
    {
        // 20 MB/s with a 4 s round trip: 80 MB in flight keep it busy.
        var time = new FakeTimeProvider();
        var tuner = new ReceiveWindowTuner(Maximum, () => TimeSpan.FromSeconds(4), time);

        var window = Window + tuner.OnConsumed(Window, 1_000_000);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            window += tuner.OnConsumed(window, 1_000_000);
        }

        Assert.Equal(20_000_000, tuner.FastestBytesPerSecond, precision: 0);
        Assert.Equal(Maximum, window);
    }

    [Fact]
    public void BurstOfASweep_OpensTheWindowToTheMaximumAtOnce()
    {
        var time = new FakeTimeProvider();
        var tuner = new ReceiveWindowTuner(Maximum, () => TimeSpan.FromSeconds(20), time);

        // A sweep's worth arrives together and is read at memory speed.
        var window = Window;
        for (var i = 0; i < 8; i++)
        {
            window += tuner.OnConsumed(window, 1 << 20);
        }

        Assert.Equal(Maximum, window);
    }

    [Fact]
    public void SlowReader_LeavesTheWindowAsItIs()
    {
        var time = new FakeTimeProvider();
        var tuner = new ReceiveWindowTuner(Maximum, () => TimeSpan.FromSeconds(4), time);

        // 1 MB/s: 8 MB in flight would do, the window holds twice that.
        long growth = tuner.OnConsumed(Window, 250_000);
        for (var i = 0; i < 40; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            growth += tuner.OnConsumed(Window, 250_000);
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
}
