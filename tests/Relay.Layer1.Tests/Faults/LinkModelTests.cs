using System.IO.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Relay.Layer1.Faults;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Faults;

/// <summary>The fault pipe as a scheduled mirror, a slow link and a diode, on a fake clock where timing matters.</summary>
public sealed class LinkModelTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TemporaryFolder _folder = new();
    private readonly FakeTimeProvider _time = new();
    private readonly string _source;
    private readonly string _destination;

    public LinkModelTests()
    {
        _source = _folder.Sub("source");
        _destination = _folder.Sub("destination");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Sweep_TakesNothingBetweenSweeps_ThenEverythingWaitingAtOnce()
    {
        await using var pipe = await StartAsync(new FaultProfile { SweepEvery = TimeSpan.FromSeconds(10) });
        await WriteAsync("a.relay", 10);
        await WriteAsync("b.relay", 10);
        await WriteAsync("c.relay", 10);

        await Eventually.TrueAsync(() => pipe.WaitingFiles == 3, Wait, "the three files wait for the sweep");
        _time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Equal(0, pipe.Counters.Seen);
        Assert.Equal(3, Directory.GetFiles(_source).Length);

        _time.Advance(TimeSpan.FromSeconds(0.1));
        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 3, Wait, "the sweep moves all three");
        Assert.Empty(Directory.GetFiles(_source));
    }

    [Fact]
    public async Task BandwidthAndLatency_FilesQueueBehindEachOther_AndArriveAfterTheLatency()
    {
        await using var pipe = await StartAsync(new FaultProfile { BandwidthBytesPerSecond = 1000, Latency = TimeSpan.FromSeconds(2) });
        await WriteAsync("first.relay", 1000);
        await Eventually.TrueAsync(() => pipe.CopiesInFlight == 1, Wait, "the first file is on the link");
        await WriteAsync("second.relay", 1000);
        await Eventually.TrueAsync(() => pipe.CopiesInFlight == 2, Wait, "the second file queues behind it");

        // The first needs 1 s on the wire and 2 s of latency; the second waits for the first's second.
        _time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Equal(0, pipe.Counters.Delivered);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 1, Wait, "the first arrives at 3 s");
        Assert.True(File.Exists(Path.Combine(_destination, "first.relay")));
        Assert.False(File.Exists(Path.Combine(_destination, "second.relay")));

        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 2, Wait, "the second arrives at 4 s");
        Assert.Equal(2000, pipe.Counters.BytesOffered);
        Assert.Equal(2000, pipe.Counters.BytesDelivered);
    }

    [Fact]
    public async Task FullLink_HoldsTheNextFileInTheSourceFolder_UntilACopyArrives()
    {
        await using var pipe = await StartAsync(new FaultProfile { Latency = TimeSpan.FromSeconds(5), MaxHeldBytes = 1500 });
        await WriteAsync("first.relay", 1000);
        await Eventually.TrueAsync(() => pipe.CopiesInFlight == 1, Wait, "the first file is on the link");
        await WriteAsync("second.relay", 1000);
        await Eventually.TrueAsync(() => pipe.Counters.Seen == 2, Wait, "the second file is read");

        // Read, but not on its way: the first holds the link's whole room.
        Assert.Equal(1, pipe.CopiesInFlight);
        _time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 1 && pipe.CopiesInFlight == 1, Wait, "the first arrives and the second goes");
        _time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 2, Wait, "the second arrives");
    }

    [Fact]
    public async Task MaxFileBytes_CutsBigFilesToTheLimit_KeepingTheirName()
    {
        await using var pipe = await StartAsync(new FaultProfile { MaxFileBytes = 100 });
        var big = await WriteAsync("big.relay", 300);
        var small = await WriteAsync("small.relay", 100);

        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 2, Wait, "both files are delivered");
        Assert.Equal(big[..100], await File.ReadAllBytesAsync(Path.Combine(_destination, "big.relay")));
        Assert.Equal(small, await File.ReadAllBytesAsync(Path.Combine(_destination, "small.relay")));
        Assert.Equal(1, pipe.Counters.CutToMaxSize);
        Assert.Equal(400, pipe.Counters.BytesOffered);
        Assert.Equal(200, pipe.Counters.BytesDelivered);
    }

    [Fact]
    public async Task Blocked_TakesEveryFileAndDeliversNone()
    {
        await using var pipe = await StartAsync(new FaultProfile { Blocked = true });
        await WriteAsync("ack.relay", 50);
        await WriteAsync("data.relay", 50);

        await Eventually.TrueAsync(() => pipe.Counters.Blocked == 2, Wait, "both files are taken and discarded");
        Assert.Empty(Directory.GetFiles(_source));
        Assert.Empty(Directory.GetFiles(_destination));
        Assert.Equal(0, pipe.Counters.Delivered);
    }

    [Fact]
    public async Task SameSeedAndArrivals_GiveTheSameFates_WithTheLinkModelOn()
    {
        var profile = new FaultProfile { Loss = 0.3, Truncate = 0.3, MaxFileBytes = 700, SweepEvery = TimeSpan.FromSeconds(1), Seed = 9 };
        var first = await RunOnceAsync(profile, "one");
        var second = await RunOnceAsync(profile, "two");
        Assert.Equal(first, second);
    }

    private async Task<string> RunOnceAsync(FaultProfile profile, string name)
    {
        var source = _folder.Sub(name + "-source");
        var destination = _folder.Sub(name + "-destination");
        var time = new FakeTimeProvider();
        await using var pipe = new FaultInjectingFolderPipe(new FileSystem(), source, destination, profile, timeProvider: time, pollInterval: TimeSpan.FromMilliseconds(20));
        await pipe.StartAsync(CancellationToken.None);
        var fates = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var file = $"f{i:D2}.relay";
            await Write(source, file, TestPayloads.Create(1, i, 1000));
            await Eventually.TrueAsync(() => pipe.WaitingFiles == 1, Wait, "the file waits for the sweep");
            time.Advance(TimeSpan.FromSeconds(1));
            await Eventually.TrueAsync(() => pipe.Counters.Seen == i + 1, Wait, "the sweep takes it");
            var path = Path.Combine(destination, file);
            await Eventually.TrueAsync(() => pipe.Counters.Lost + pipe.Counters.Delivered == i + 1, Wait, "its fate is decided");
            fates.Add(File.Exists(path) ? new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture) : "lost");
        }

        return string.Join(",", fates);
    }

    private async Task<FaultInjectingFolderPipe> StartAsync(FaultProfile profile)
    {
        var pipe = new FaultInjectingFolderPipe(new FileSystem(), _source, _destination, profile, timeProvider: _time, pollInterval: TimeSpan.FromMilliseconds(20));
        await pipe.StartAsync(CancellationToken.None);
        return pipe;
    }

    private async Task<byte[]> WriteAsync(string name, int length)
    {
        var bytes = TestPayloads.Create(2, name.Length, length);
        await Write(_source, name, bytes);
        return bytes;
    }

    private static async Task Write(string folder, string name, byte[] bytes)
    {
        var temporary = Path.Combine(folder, "." + name + ".partial");
        await File.WriteAllBytesAsync(temporary, bytes);
        File.Move(temporary, Path.Combine(folder, name));
    }
}
