using Relay.Host.Status;

namespace Relay.Host.Tests.Cli;

public sealed class StatusCommandOneWayTests : CliTestFolder
{
    [Fact]
    public async Task Status_OfAReceiveOnlyPeerWithGaps_ListsThemWithTheirAge_AndSaysHowToAskForThem()
    {
        var config = await WriteConfigAsync();
        var now = DateTimeOffset.UtcNow;
        StatusFile.Write(new System.IO.Abstractions.FileSystem(), Path.Combine(Folder, "state"), Status(now, Peer("ReceiveOnly") with
        {
            HighestReceived = 9,
            MissingFragments = 4,
            Gaps = [new GapDocument(2, 4, now.AddSeconds(-12), 12), new GapDocument(7, 7, now.AddSeconds(-3), 3)],
            DuplicateFiles = 5,
            ParityRebuilds = 1,
        }));
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["status", "--config", config]);

        Assert.Equal(0, exit);
        Assert.Contains("peer site-b (ReceiveOnly)", run.Output, StringComparison.Ordinal);
        Assert.Contains("GAPS: 4 missing below 9: 2-4 (for 12.0 s), 7 (for 3.0 s)", run.Output, StringComparison.Ordinal);
        Assert.Contains("copies received 5, files rebuilt from parity 1", run.Output, StringComparison.Ordinal);
        Assert.Contains("relay gaps --config CONFIG --peer site-b --out FILE", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_OfAReceiveOnlyPeerWithoutGaps_SaysNone()
    {
        var config = await WriteConfigAsync();
        StatusFile.Write(new System.IO.Abstractions.FileSystem(), Path.Combine(Folder, "state"), Status(DateTimeOffset.UtcNow, Peer("ReceiveOnly") with { HighestReceived = 12 }));
        using var run = new CommandLineRun();

        await run.InvokeAsync(["status", "--config", config]);

        Assert.Contains("gaps: none (highest received 12)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("GAPS", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_OfATwoWayPeerWithAGap_SaysThePeerResendsIt()
    {
        var config = await WriteConfigAsync();
        var now = DateTimeOffset.UtcNow;
        StatusFile.Write(new System.IO.Abstractions.FileSystem(), Path.Combine(Folder, "state"), Status(now, Peer("Both") with
        {
            HighestReceived = 9,
            MissingFragments = 1,
            Gaps = [new GapDocument(8, 8, now.AddSeconds(-1), 1)],
        }));
        using var run = new CommandLineRun();

        await run.InvokeAsync(["status", "--config", config]);

        Assert.Contains("gaps: 1 missing below 9, resent by site-b as its acks show: 8 (for 1.0 s)", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("GAPS", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("relay gaps", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_OfASendOnlyPeer_ShowsCopiesAndParity_AndNoReceiving()
    {
        var config = await WriteConfigAsync();
        StatusFile.Write(new System.IO.Abstractions.FileSystem(), Path.Combine(Folder, "state"), Status(DateTimeOffset.UtcNow, Peer("SendOnly") with { CopiesWritten = 16, ParityFilesWritten = 2 }));
        using var run = new CommandLineRun();

        await run.InvokeAsync(["status", "--config", config]);

        Assert.Contains("peer site-b (SendOnly)", run.Output, StringComparison.Ordinal);
        Assert.Contains("files written 40: extra copies 16, parity files 2", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("received", run.Output, StringComparison.Ordinal);
    }

    private async Task<string> WriteConfigAsync()
    {
        Directory.CreateDirectory(Path.Combine(Folder, "state"));
        var path = Path.Combine(Folder, "a.json");
        await File.WriteAllTextAsync(path, """{ "Relay": { "Node": { "Id": "site-a", "StateDirectory": "state" } } }""");
        return path;
    }

    private static NodeStatusDocument Status(DateTimeOffset at, PeerStatusDocument peer) =>
        new("site-a", at, Ingress: false, Egress: true, [peer], 0, 0, new Dictionary<string, long>());

    private static PeerStatusDocument Peer(string direction) =>
        new("site-b", 10, 10, 0, 0, 0, 40, 40_000, 0, 0, 0, 0, 0, new Dictionary<string, long>(), null, null, 0, 0, 0, 0, 0, null) { Direction = direction };
}
