using Relay.Layer1.Channels;

namespace Relay.Layer1.Tests.Channels;

public sealed class RoundTripEstimatorTests
{
    [Fact]
    public void SteadySamples_ConvergeAndClampToTheFloor()
    {
        var estimator = new RoundTripEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(1), estimator.RetransmitTimeout);
        for (var i = 0; i < 50; i++)
        {
            estimator.AddSample(TimeSpan.FromMilliseconds(5));
        }

        Assert.InRange(estimator.Smoothed.TotalMilliseconds, 4.9, 5.1);
        Assert.Equal(TimeSpan.FromMilliseconds(50), estimator.RetransmitTimeout);
    }

    [Fact]
    public void JitteryRoundTrips_WidenTheTimeout()
    {
        var estimator = new RoundTripEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
        for (var i = 0; i < 50; i++)
        {
            estimator.AddSample(TimeSpan.FromMilliseconds(i % 2 == 0 ? 100 : 300));
        }

        Assert.True(estimator.RetransmitTimeout > TimeSpan.FromMilliseconds(300), estimator.RetransmitTimeout.ToString());
    }

    [Fact]
    public void RoundTripsThatNeverVary_StillLeaveAnEighthAsMargin()
    {
        var estimator = new RoundTripEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(1));
        for (var i = 0; i < 100; i++)
        {
            // A mirror sweeping on the clock: every ack comes exactly two sweeps after its file.
            estimator.AddSample(TimeSpan.FromMinutes(10));
        }

        Assert.Equal(TimeSpan.FromMinutes(10), estimator.Smoothed);
        Assert.Equal(TimeSpan.FromMinutes(11.25), estimator.RetransmitTimeout);
    }

    [Fact]
    public void Backoff_DoublesPerSendUpToTheCap()
    {
        var estimator = new RoundTripEstimator(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(700));
        Assert.Equal(TimeSpan.FromMilliseconds(100), estimator.BackedOff(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), estimator.BackedOff(2));
        Assert.Equal(TimeSpan.FromMilliseconds(400), estimator.BackedOff(3));
        Assert.Equal(TimeSpan.FromMilliseconds(700), estimator.BackedOff(4));
    }

    [Fact]
    public void Seed_SetsTheTimeoutFromTheEstimate_WithoutCountingAsASample()
    {
        var estimator = new RoundTripEstimator(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(1));

        estimator.Seed(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(20), estimator.Smoothed);
        Assert.Equal(TimeSpan.FromSeconds(40), estimator.RetransmitTimeout);
        Assert.Equal(0, estimator.Samples);

        // Samples refine a seed as they would any estimate.
        estimator.AddSample(TimeSpan.FromSeconds(20));
        Assert.Equal(1, estimator.Samples);
        Assert.True(estimator.RetransmitTimeout < TimeSpan.FromSeconds(40), estimator.RetransmitTimeout.ToString());
    }
}
