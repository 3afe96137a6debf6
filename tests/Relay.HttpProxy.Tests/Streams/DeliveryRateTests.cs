using Microsoft.Extensions.Time.Testing;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Tests.Streams;

/// <summary>The link's delivery rate, and the codec <see cref="RouteCompression.Auto"/> picks from it.</summary>
public sealed class DeliveryRateTests
{
    [Fact]
    public void NothingAcknowledged_IsNotMeasured_AndAutoPicksBrotli()
    {
        var rate = new DeliveryRate(new FakeTimeProvider());

        Assert.Null(rate.BytesPerSecond);
        Assert.Equal(BodyCodec.Brotli, PeerLink.ChooseCodec(RouteCompression.Auto, rate.BytesPerSecond));
    }

    [Fact]
    public void BytesAcknowledgedSinceAChunkWasQueued_OverTheTimeSince_IsTheRate()
    {
        var time = new FakeTimeProvider();
        var rate = new DeliveryRate(time);
        var first = rate.Queued();
        var second = rate.Queued();
        time.Advance(TimeSpan.FromMilliseconds(100));
        rate.Acknowledged(first, 5_000_000);
        rate.Acknowledged(second, 5_000_000);

        // 10 MB acknowledged in the 0.1 s since the second chunk was queued.
        Assert.Equal(100e6, rate.BytesPerSecond!.Value, 1e3);
        Assert.Equal(BodyCodec.Lz4, PeerLink.ChooseCodec(RouteCompression.Auto, rate.BytesPerSecond));
    }

    [Fact]
    public void SlowSampleAfterAFastOne_DoesNotLowerTheEstimate_UntilTheFastOneAgesOut()
    {
        var time = new FakeTimeProvider();
        var rate = new DeliveryRate(time);
        var fast = rate.Queued();
        time.Advance(TimeSpan.FromSeconds(1));
        rate.Acknowledged(fast, 200_000_000);

        // A lone small request: its sample understates the link.
        var small = rate.Queued();
        time.Advance(TimeSpan.FromSeconds(1));
        rate.Acknowledged(small, 1_000);
        Assert.Equal(200e6, rate.BytesPerSecond!.Value, 1e3);

        time.Advance(TimeSpan.FromMinutes(10));
        var late = rate.Queued();
        time.Advance(TimeSpan.FromSeconds(1));
        rate.Acknowledged(late, 1_000_000);
        Assert.Equal(1e6, rate.BytesPerSecond!.Value, 1e3);
        Assert.Equal(BodyCodec.Brotli, PeerLink.ChooseCodec(RouteCompression.Auto, rate.BytesPerSecond));
    }

    [Theory]
    [InlineData(nameof(RouteCompression.None), nameof(BodyCodec.None))]
    [InlineData(nameof(RouteCompression.Lz4), nameof(BodyCodec.Lz4))]
    [InlineData(nameof(RouteCompression.Brotli), nameof(BodyCodec.Brotli))]
    public void FixedSetting_IsTakenWhateverTheLinkSpeed(string setting, string codec)
    {
        foreach (var speed in new double?[] { null, 1e3, 1e9 })
        {
            Assert.Equal(Enum.Parse<BodyCodec>(codec), PeerLink.ChooseCodec(Enum.Parse<RouteCompression>(setting), speed));
        }
    }
}
