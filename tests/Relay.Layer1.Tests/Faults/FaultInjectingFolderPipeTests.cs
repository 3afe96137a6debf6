using System.IO.Abstractions;
using Relay.Layer1.Faults;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Faults;

public sealed class FaultInjectingFolderPipeTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TemporaryFolder _folder = new();
    private readonly string _source;
    private readonly string _destination;

    public FaultInjectingFolderPipeTests()
    {
        _source = _folder.Sub("source");
        _destination = _folder.Sub("destination");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Lossless_DeliversEveryFileOnceByteIdentical_AndLeavesTemporaryNamesAlone()
    {
        await using var pipe = new FaultInjectingFolderPipe(new FileSystem(), _source, _destination, FaultProfile.Lossless);
        var temporary = Path.Combine(_source, ".in-progress.relay.partial");
        await File.WriteAllTextAsync(temporary, "still being written");
        await pipe.StartAsync(CancellationToken.None);

        var expected = new Dictionary<string, byte[]>();
        for (var i = 0; i < 200; i++)
        {
            var name = $"file-{i:D3}.relay";
            expected[name] = TestPayloads.Create(5, i, i * 311);
            await WriteFinalAsync(name, expected[name]);
        }

        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 200, Wait, "all 200 files are delivered");
        Assert.Equal(200, pipe.Counters.Seen);
        foreach (var (name, bytes) in expected)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(_destination, name)));
        }

        Assert.True(File.Exists(temporary));
        Assert.Equal([temporary], Directory.GetFiles(_source));
    }

    [Fact]
    public async Task LossOfOne_DeliversNothing()
    {
        await using var pipe = await StartAsync(new FaultProfile { Loss = 1 });
        await WriteManyAsync(20);

        await Eventually.TrueAsync(() => pipe.Counters.Seen == 20, Wait, "the pipe takes all 20 files");
        Assert.Equal(20, pipe.Counters.Lost);
        Assert.Equal(0, pipe.Counters.Delivered);
        Assert.Empty(Directory.GetFiles(_destination));
    }

    [Fact]
    public async Task TruncateOfOne_DeliversEveryFileShorter()
    {
        await using var pipe = await StartAsync(new FaultProfile { Truncate = 1 });
        var sent = await WriteManyAsync(20);

        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 20, Wait, "all 20 truncated copies arrive");
        foreach (var (name, bytes) in sent)
        {
            Assert.True(new FileInfo(Path.Combine(_destination, name)).Length < bytes.Length, name);
        }
    }

    [Fact]
    public async Task CorruptOfOne_KeepsLengthButChangesBytes()
    {
        await using var pipe = await StartAsync(new FaultProfile { Corrupt = 1 });
        var sent = await WriteManyAsync(20);

        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 20, Wait, "all 20 corrupted copies arrive");
        foreach (var (name, bytes) in sent)
        {
            var delivered = await File.ReadAllBytesAsync(Path.Combine(_destination, name));
            Assert.Equal(bytes.Length, delivered.Length);
            Assert.NotEqual(bytes, delivered);
        }
    }

    [Fact]
    public async Task DuplicateOfOne_DeliversEachFileTwice()
    {
        await using var pipe = await StartAsync(new FaultProfile { Duplicate = 1, MaxDelay = TimeSpan.FromMilliseconds(20) });
        var sent = await WriteManyAsync(10);

        // Two copies under one name may land back to back, so the count of writes is what is checked.
        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 20, Wait, "each file and its duplicate arrive");
        Assert.Equal(10, pipe.Counters.Duplicated);
        foreach (var (name, bytes) in sent)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(_destination, name)));
        }
    }

    [Fact]
    public async Task ReplayOfOne_DeliversEachFileAgainAfterTheReplayDelay()
    {
        await using var pipe = await StartAsync(new FaultProfile { Replay = 1, ReplayDelay = TimeSpan.FromMilliseconds(300) });
        using var arrivals = CountArrivals();
        var sent = await WriteManyAsync(5);

        await Eventually.TrueAsync(() => sent.Keys.All(n => arrivals.Count(n) == 2), Wait, "each file arrives, then again as a replay");
        Assert.Equal(5, pipe.Counters.Replayed);
        Assert.Equal(10, pipe.Counters.Delivered);
    }

    [Fact]
    public async Task MixedProfile_CountersAddUp()
    {
        var profile = new FaultProfile { Loss = 0.2, Duplicate = 0.1, Truncate = 0.05, Corrupt = 0.05, Replay = 0.05, MaxDelay = TimeSpan.FromMilliseconds(10), ReplayDelay = TimeSpan.FromMilliseconds(50), Seed = 3 };
        await using var pipe = await StartAsync(profile);
        await WriteManyAsync(300);

        var counters = pipe.Counters;
        await Eventually.TrueAsync(
            () => counters.Seen == 300 && counters.Delivered == counters.Seen - counters.Lost + counters.Duplicated + counters.Replayed,
            Wait,
            "every surviving copy is delivered");
        Assert.Equal(0, counters.Errors);
        Assert.InRange(counters.Lost, 30, 90);
    }

    [Fact]
    public async Task CopiesStillDelayedAtStop_AreDroppedAndCounted()
    {
        var pipe = await StartAsync(new FaultProfile { Replay = 1, ReplayDelay = TimeSpan.FromHours(1) });
        await WriteManyAsync(3);
        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 3, Wait, "the first copies arrive");

        await pipe.DisposeAsync();

        var counters = pipe.Counters;
        Assert.Equal(3, counters.Replayed);
        Assert.Equal(3, counters.Dropped);
        Assert.Equal(counters.Seen - counters.Lost + counters.Duplicated + counters.Replayed, counters.Delivered + counters.Dropped);
    }

    [Fact]
    public async Task SameSeedAndOrder_MakeTheSameDecisions()
    {
        var profile = new FaultProfile { Loss = 0.3, Truncate = 0.3, Corrupt = 0.3, Seed = 42 };
        var first = await DecisionsAsync(profile, "one");
        var second = await DecisionsAsync(profile, "two");
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task WithoutChangeEvents_PollingStillMovesFiles()
    {
        await using var pipe = new FaultInjectingFolderPipe(new FileSystem(), _source, _destination, FaultProfile.Lossless, null, null, TimeSpan.FromMilliseconds(50), useWatcher: false);
        await pipe.StartAsync(CancellationToken.None);
        await WriteManyAsync(5);

        await Eventually.TrueAsync(() => pipe.Counters.Delivered == 5, Wait, "polling finds all 5 files");
    }

    [Theory]
    [InlineData("Loss", -0.1)]
    [InlineData("Duplicate", 1.5)]
    [InlineData("Corrupt", double.NaN)]
    public void BadProbability_IsRejectedNamingTheProperty(string property, double value)
    {
        var profile = property switch
        {
            "Loss" => new FaultProfile { Loss = value },
            "Duplicate" => new FaultProfile { Duplicate = value },
            _ => new FaultProfile { Corrupt = value },
        };

        var error = Assert.Throws<ArgumentException>(profile.Validate);
        Assert.Equal(property, error.ParamName);
    }

    [Fact]
    public void NegativeDelay_IsRejectedNamingTheProperty()
    {
        var error = Assert.Throws<ArgumentException>(new FaultProfile { MaxDelay = TimeSpan.FromSeconds(-1) }.Validate);
        Assert.Equal(nameof(FaultProfile.MaxDelay), error.ParamName);
    }

    private async Task<FaultInjectingFolderPipe> StartAsync(FaultProfile profile)
    {
        var pipe = new FaultInjectingFolderPipe(new FileSystem(), _source, _destination, profile);
        await pipe.StartAsync(CancellationToken.None);
        return pipe;
    }

    // One file at a time, each taken before the next is written, so the arrival order is fixed.
    private async Task<List<string>> DecisionsAsync(FaultProfile profile, string run)
    {
        var source = _folder.Sub(run + "-source");
        var destination = _folder.Sub(run + "-destination");
        await using var pipe = new FaultInjectingFolderPipe(new FileSystem(), source, destination, profile);
        await pipe.StartAsync(CancellationToken.None);
        var outcomes = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            var name = $"f{i:D2}.relay";
            var bytes = TestPayloads.Create(9, i, 1000);
            await File.WriteAllBytesAsync(Path.Combine(source, "." + name + ".partial"), bytes);
            File.Move(Path.Combine(source, "." + name + ".partial"), Path.Combine(source, name));
            var seen = i + 1;
            await Eventually.TrueAsync(() => pipe.Counters.Seen == seen && pipe.Counters.Delivered + pipe.Counters.Lost == seen, Wait, $"{name} is handled");
            var path = Path.Combine(destination, name);
            outcomes.Add(File.Exists(path) ? Convert.ToHexString(await File.ReadAllBytesAsync(path)) : "lost");
        }

        return outcomes;
    }

    private async Task<Dictionary<string, byte[]>> WriteManyAsync(int count)
    {
        var sent = new Dictionary<string, byte[]>();
        for (var i = 0; i < count; i++)
        {
            var name = $"file-{i:D3}.relay";
            sent[name] = TestPayloads.Create(6, i, 100 + (i * 17));
            await WriteFinalAsync(name, sent[name]);
        }

        return sent;
    }

    private async Task WriteFinalAsync(string name, byte[] bytes)
    {
        var temporary = Path.Combine(_source, "." + name + ".partial");
        await File.WriteAllBytesAsync(temporary, bytes);
        File.Move(temporary, Path.Combine(_source, name));
    }

    // Counts each final name's arrivals in the destination by taking every file as it lands.
    private ArrivalCounter CountArrivals() => new(_destination);
}
