using Relay.Layer1.Faults;
using Relay.Layer1.Tests.Support;
using Xunit.Abstractions;

namespace Relay.Layer1.Tests;

/// <summary>Randomized runs of two nodes through a faulty link; the heaviest tests, so they run one at a time.</summary>
[Collection(nameof(FaultRunTests))]
[CollectionDefinition(nameof(FaultRunTests), DisableParallelization = true)]
public sealed class FaultRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(3);

    private static readonly FaultProfile HostileLink = new()
    {
        Loss = 0.20,
        Duplicate = 0.10,
        Truncate = 0.05,
        Corrupt = 0.05,
        Replay = 0.02,
        MaxDelay = TimeSpan.FromMilliseconds(30),
        ReplayDelay = TimeSpan.FromSeconds(1),
        Seed = 1234,
    };

    [Fact]
    public async Task BothDirectionsAtOnce_ThroughAHostileLink_DeliverEveryMessageOnceInOrderByteIdentical()
    {
        await RunBothDirectionsAsync(HostileLink, TestPayloads.MixedSizes(seed: 1, count: 3000, largeCount: 6), TestPayloads.MixedSizes(seed: 2, count: 3000, largeCount: 6));
    }

    [Fact]
    public async Task BothDirectionsAtOnce_ThroughAScheduledNarrowHostileLink_DeliverEveryMessageOnceInOrderByteIdentical()
    {
        // A mirror that sweeps four times a second, with a fixed delay and a capped rate, on top of every fault.
        var link = HostileLink with { SweepEvery = TimeSpan.FromMilliseconds(250), Latency = TimeSpan.FromMilliseconds(100), BandwidthBytesPerSecond = 40_000_000, Seed = 77 };
        await RunBothDirectionsAsync(
            link,
            TestPayloads.MixedSizes(seed: 5, count: 1000, largeCount: 2, maxLarge: 4 * 1024 * 1024),
            TestPayloads.MixedSizes(seed: 6, count: 1000, largeCount: 2, maxLarge: 4 * 1024 * 1024));
    }

    [Fact]
    public async Task HeldDataBeyondOneFileOfMemory_WaitsOnDisk_AndEveryMessageArrivesOnceInOrderByteIdentical()
    {
        // Memory for one file's fragments: nearly everything held above a gap waits on disk.
        var fromA = TestPayloads.MixedSizes(seed: 7, count: 1500, largeCount: 4);
        var fromB = TestPayloads.MixedSizes(seed: 8, count: 300, largeCount: 1);
        await using var run = new FaultRun(HostileLink with { Seed = 55 }, fromA, fromB, options => options.MaxHeldInMemoryBytes = options.MaxFileBytes);

        await run.StartAsync();
        long mostOnDisk = 0;
        await Eventually.TrueAsync(
            () =>
            {
                mostOnDisk = Math.Max(mostOnDisk, run.B.Node.GetStatus().Peers.Single().HeldOnDiskBytes);
                return run.A.AllReceived.IsCompleted && run.B.AllReceived.IsCompleted;
            },
            RunLimit,
            "both sides receive everything");

        AssertClean(run);
        Assert.Equal(fromA.Length, run.B.Received);
        Assert.True(mostOnDisk > 0, "site-b held fragments on disk");
        var status = run.B.Node.GetStatus().Peers.Single();
        Assert.Equal((0L, 0L), (status.HeldBytes, status.HeldOnDiskBytes));
        Assert.Empty(Directory.GetFiles(Path.Combine(run.B.StateDirectory, "held", "site-a")));
        output.WriteLine($"site-b held at most {mostOnDisk} bytes on disk at one look");
        Report(run);
    }

    [Fact]
    public async Task NodesReopenedMidRun_ThroughAHostileLink_LoseNothingAndDeliverNothingTwice()
    {
        var fromA = TestPayloads.MixedSizes(seed: 3, count: 2500, largeCount: 4);
        var fromB = TestPayloads.MixedSizes(seed: 4, count: 2500, largeCount: 4);
        await using var run = new FaultRun(HostileLink with { Seed = 99 }, fromA, fromB);

        await run.StartAsync();
        foreach (var fraction in new[] { 0.15, 0.35, 0.55, 0.75 })
        {
            // B is the receiver under test: reopened four times as A's messages arrive.
            await Eventually.TrueAsync(() => run.B.Received >= fromA.Length * fraction || run.B.AllReceived.IsCompleted, RunLimit, $"site-b reaches {fraction:P0}");
            await run.B.RestartAsync();
            if (fraction is 0.35 or 0.75)
            {
                // A reopened as well: a sender with messages queued and unacknowledged.
                await run.A.RestartAsync();
            }
        }

        await Task.WhenAll(run.A.AllReceived, run.B.AllReceived).WaitAsync(RunLimit);

        AssertClean(run);
        Assert.Equal(4, run.B.Restarts);
        Assert.Equal(2, run.A.Restarts);
        Assert.Equal(fromB.Length, run.A.Received);
        Assert.Equal(fromA.Length, run.B.Received);
        Report(run);
    }

    private async Task RunBothDirectionsAsync(FaultProfile link, int[] fromA, int[] fromB)
    {
        await using var run = new FaultRun(link, fromA, fromB);

        await run.StartAsync();
        await Task.WhenAll(run.A.AllReceived, run.B.AllReceived).WaitAsync(RunLimit);

        AssertClean(run);
        Assert.Equal(fromB.Length, run.A.Received);
        Assert.Equal(fromA.Length, run.B.Received);
        Report(run);
    }

    private static void AssertClean(FaultRun run)
    {
        Assert.Empty(run.A.Errors);
        Assert.Empty(run.B.Errors);

        // The link really was hostile: every kind of fault happened.
        var faults = run.AToB.Counters;
        Assert.True(faults.Lost > 0 && faults.Duplicated > 0 && faults.Truncated > 0 && faults.Corrupted > 0 && faults.Replayed > 0, faults.ToString());
        Assert.True(run.B.Rejected > 0, "site-b dropped damaged files");
    }

    private void Report(FaultRun run)
    {
        foreach (var side in new[] { run.A, run.B })
        {
            var status = side.Node.GetStatus().Peers.Single();
            output.WriteLine($"{side.Node.NodeId}: sent {side.Sent}, received {side.Received}, resent {status.Resent}, rejected {string.Join(", ", status.Rejected.Select(r => $"{r.Key}={r.Value}"))}");
        }

        output.WriteLine($"a->b pipe: {run.AToB.Counters}");
        output.WriteLine($"b->a pipe: {run.BToA.Counters}");
    }
}
