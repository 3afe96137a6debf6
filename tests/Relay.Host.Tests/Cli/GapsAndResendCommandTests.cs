using System.IO.Abstractions;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Host.Configuration;
using Relay.Host.Hosting;
using Relay.Layer1;
using Relay.Layer1.Identity;
using Relay.Layer1.OneWay;

namespace Relay.Host.Tests.Cli;

/// <summary>
/// The round trip an operator makes over a one-way link: <c>relay gaps</c> on the receiving node,
/// the report carried back, <c>relay resend</c> on the sending node; with nodes stopped or running.
/// </summary>
[Collection(nameof(Configuration.EnvironmentTests))]
public sealed class GapsAndResendCommandTests : CliTestFolder
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly FileSystem _fileSystem = new();

    [Fact]
    public async Task GapsOnAStoppedReceiver_ThenResendOnAStoppedSender_DeliversWhatWasLost_OnceInOrder()
    {
        var (a, b) = await WriteNodesAsync();
        await LoseTheSecondOfThreeAsync(a, b);

        var (gapsExit, gapsOutput, _) = await InvokeAsync(["gaps", "--config", b, "--peer", "site-a", "--out", Path.Combine(Folder, "b.gaps")]);
        var (resendExit, resendOutput, _) = await InvokeAsync(["resend", "--config", a, "--gaps", Path.Combine(Folder, "b.gaps")]);

        Assert.Equal(0, gapsExit);
        Assert.Contains("the node is stopped", gapsOutput, StringComparison.Ordinal);
        Assert.Contains("received through 1;", gapsOutput, StringComparison.Ordinal);
        Assert.Equal(0, resendExit);
        Assert.Contains("queued again: 2 fragment(s): 2-3", resendOutput, StringComparison.Ordinal);
        Assert.Contains("the node is stopped: it takes the request", resendOutput, StringComparison.Ordinal);

        // The sender takes the request when it starts, and the two arrive after the one already handled.
        await using (var sender = Open(a))
        {
            await Eventually(() => sender.GetStatus().Peers.Single().FilesWritten == 2, "the two are written again");
        }

        Carry();
        await using var receiver = Open(b);
        Assert.Equal(Payload(1), (await ReceiveAsync(receiver)).Payload.ToArray());
        Assert.Equal(Payload(2), (await ReceiveAsync(receiver)).Payload.ToArray());
        Assert.Empty(receiver.GetStatus().Peers.Single().Gaps);
    }

    [Fact]
    public async Task GapsOnARunningReceiver_ComeFromItsStatus_AndResendOnARunningSender_IsTakenAtItsNextPoll()
    {
        var (a, b) = await WriteNodesAsync();
        var bOptions = RelayConfiguration.Load(b);
        await using var sender = Open(a);
        for (var i = 0; i < 3; i++)
        {
            await sender.SendAsync("site-b", Payload(i));
            await Eventually(() => sender.GetStatus().Peers.Single().InFlight == 0, "written");
            if (i == 1)
            {
                Drop();
            }
            else
            {
                Carry();
            }
        }

        // The receiving node runs as relay run runs it: the lock held, the status file kept fresh.
        using (StateDirectoryLock.Acquire(_fileSystem, bOptions.Node.StateDirectory))
        {
            var receiver = new RelayNode(bOptions, NodeKeyring.Load(bOptions, _fileSystem), _fileSystem, NullLoggerFactory.Instance);
            await receiver.StartAsync(CancellationToken.None);
            try
            {
                await Eventually(() => receiver.GetStatus().Peers.Single().MissingFragments == 1, "the gap shows");
                await Eventually(() => global::Relay.Host.Status.StatusFile.Read(_fileSystem, bOptions.Node.StateDirectory)!.Peers.Single().MissingFragments == 1, "the status file shows it");

                // Open longer than Http:PeerSilenceWarning, the gap degrades the node's health with what to do.
                await Eventually(() => receiver.GetHealth().Reasons.Any(r => r.Contains("run relay gaps here and relay resend on site-a", StringComparison.Ordinal)), "health says what to do");

                var (exit, output, _) = await InvokeAsync(["gaps", "--config", b, "--peer", "site-a", "--out", Path.Combine(Folder, "b.gaps")]);

                Assert.Equal(0, exit);
                Assert.Contains("the node is running", output, StringComparison.Ordinal);
                Assert.Contains("received through 3; missing below that: 1 (2)", output, StringComparison.Ordinal);
            }
            finally
            {
                await receiver.StopAsync(CancellationToken.None);
                await receiver.DisposeAsync();
            }
        }

        var aOptions = RelayConfiguration.Load(a);
        using (StateDirectoryLock.Acquire(_fileSystem, aOptions.Node.StateDirectory))
        {
            var written = sender.GetStatus().Peers.Single().FilesWritten;
            var (exit, output, _) = await InvokeAsync(["resend", "--config", a, "--gaps", Path.Combine(Folder, "b.gaps")]);

            Assert.Equal(0, exit);
            Assert.Contains("queued again: 1 fragment(s): 2", output, StringComparison.Ordinal);
            Assert.Contains("the running node takes the request", output, StringComparison.Ordinal);
            await Eventually(() => sender.GetStatus().Peers.Single().FilesWritten == written + 2, "the running sender writes it again");
        }
    }

    [Fact]
    public async Task Resend_WithATamperedReport_IsRefused_AndQueuesNothing()
    {
        var (a, _) = await WriteNodesAsync();
        var report = Path.Combine(Folder, "b.gaps");
        await File.WriteAllBytesAsync(report, Report("site-a", through: 5).Sign(SiteBKeys()));
        var bytes = await File.ReadAllBytesAsync(report);
        bytes[^5] = (byte)(bytes[^5] == 'A' ? 'B' : 'A');
        await File.WriteAllBytesAsync(report, bytes);

        var (exit, _, error) = await InvokeAsync(["resend", "--config", a, "--gaps", report]);

        Assert.Equal(1, exit);
        Assert.Contains("is refused", error, StringComparison.Ordinal);
        Assert.Contains("signature does not verify", error, StringComparison.Ordinal);
        var requests = Path.Combine(Folder, "state", "a", ResendRequests.FolderName);
        Assert.False(Directory.Exists(requests) && Directory.EnumerateFiles(requests).Any());
    }

    [Fact]
    public async Task Resend_WithAReportAddressedToAnotherNode_IsRefused()
    {
        var (a, _) = await WriteNodesAsync();
        var report = Path.Combine(Folder, "b.gaps");
        await File.WriteAllBytesAsync(report, Report("site-c", through: 5).Sign(SiteBKeys()));

        var (exit, _, error) = await InvokeAsync(["resend", "--config", a, "--gaps", report]);

        Assert.Equal(1, exit);
        Assert.Contains("asks node 'site-c' for messages, not this node ('site-a')", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resend_WithAReportFromAPeerThatIsNotSendOnly_IsRefusedNamingTheKey()
    {
        var (a, _) = await WriteNodesAsync(senderDirection: "Both");
        var report = Path.Combine(Folder, "b.gaps");
        await File.WriteAllBytesAsync(report, Report("site-a", through: 5).Sign(SiteBKeys()));

        var (exit, _, error) = await InvokeAsync(["resend", "--config", a, "--gaps", report]);

        Assert.Equal(1, exit);
        Assert.Contains("Relay:Peers:0:Direction Both; only a SendOnly peer is asked to resend", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resend_OfMessagesPastKeepSentFor_SaysTheyAreNoLongerKept()
    {
        var (a, _) = await WriteNodesAsync(keepSentFor: "00:00:00.300");
        await using (var sender = Open(a))
        {
            await sender.SendAsync("site-b", Payload(0));
            await Eventually(() => Layer1SeesNothingKept(a), "the message is forgotten");
        }

        var report = Path.Combine(Folder, "b.gaps");
        await File.WriteAllBytesAsync(report, Report("site-a", through: 0).Sign(SiteBKeys()));

        var (exit, output, _) = await InvokeAsync(["resend", "--config", a, "--gaps", report]);

        Assert.Equal(3, exit);
        Assert.Contains("queued again: nothing", output, StringComparison.Ordinal);
        Assert.Contains("NO LONGER KEPT", output, StringComparison.Ordinal);
        Assert.Contains("1 fragment(s): 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gaps_ForAPeerThatIsNotReceiveOnly_IsRefusedNamingTheKey()
    {
        var (a, _) = await WriteNodesAsync();

        var (exit, _, error) = await InvokeAsync(["gaps", "--config", a, "--peer", "site-b", "--out", Path.Combine(Folder, "x.gaps")]);

        Assert.Equal(2, exit);
        Assert.Contains("Relay:Peers:0:Direction SendOnly", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Folder, "x.gaps")));
    }

    private static bool Layer1SeesNothingKept(string config)
    {
        var plan = ResendRequests.Plan(RelayConfiguration.Load(config).Node.StateDirectory, Report("site-a", through: 0));
        return plan.Queued.Count == 0 && plan.NoLongerKept.Count == 1;
    }

    private async Task LoseTheSecondOfThreeAsync(string a, string b)
    {
        await using (var sender = Open(a))
        {
            for (var i = 0; i < 3; i++)
            {
                await sender.SendAsync("site-b", Payload(i));
                await Eventually(() => sender.GetStatus().Peers.Single().InFlight == 0, "written");
                if (i == 1)
                {
                    Drop();
                }
                else
                {
                    Carry();
                }
            }
        }

        await using var receiver = Open(b);
        var first = await ReceiveAsync(receiver);
        Assert.Equal(Payload(0), first.Payload.ToArray());
        await receiver.MarkHandledAsync(first);
        await Eventually(() => receiver.GetStatus().Peers.Single().HighestReceived == 3, "the third is held");
    }

    private Layer1Node Open(string config)
    {
        var options = RelayConfiguration.Load(config);
        var keyring = NodeKeyring.Load(options, _fileSystem);
        return Layer1Node.Open(options.Exchange, keyring.Own, keyring.Peers);
    }

    private static async Task<ReceivedMessage> ReceiveAsync(Layer1Node node)
    {
        using var cancellation = new CancellationTokenSource(Limit);
        return await node.ReceiveAsync("site-a", cancellation.Token);
    }

    private void Carry()
    {
        foreach (var path in Directory.EnumerateFiles(Path.Combine(Folder, "a-out"), "*.relay"))
        {
            File.Move(path, Path.Combine(Folder, "b-in", Path.GetFileName(path)));
        }
    }

    private void Drop()
    {
        foreach (var path in Directory.EnumerateFiles(Path.Combine(Folder, "a-out"), "*.relay"))
        {
            File.Delete(path);
        }
    }

    private NodeKeyPair SiteBKeys() => NodeKeyPair.Load(_fileSystem, Path.Combine(Folder, "keys", "site-b.private.json"));

    private static GapReport Report(string sender, long through) =>
        new() { Receiver = "site-b", Sender = sender, Created = DateTimeOffset.UtcNow, ReceivedThrough = through, Gaps = [] };

    private static byte[] Payload(int index) => [.. Enumerable.Range(0, 300 + index).Select(i => (byte)(i * (index + 3)))];

    private static async Task Eventually(Func<bool> condition, string because)
    {
        using var deadline = new CancellationTokenSource(Limit);
        while (!condition())
        {
            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {Limit}: {because}");
            }

            await Task.Delay(20);
        }
    }

    private static async Task<(int Exit, string Output, string Error)> InvokeAsync(string[] args)
    {
        using var run = new CommandLineRun();
        var exit = await run.InvokeAsync(args);
        return (exit, run.Output, run.Error);
    }

    private async Task<(string A, string B)> WriteNodesAsync(string senderDirection = "SendOnly", string? keepSentFor = null)
    {
        foreach (var id in new[] { "site-a", "site-b" })
        {
            await RunAsync(["keygen", "--node", id, "--out", Path.Combine(Folder, "keys")]);
        }

        foreach (var folder in new[] { "a-out", "a-in", "b-out", "b-in" })
        {
            Directory.CreateDirectory(Path.Combine(Folder, folder));
        }

        var oneWay = senderDirection == "SendOnly"
            ? $", \"Redundancy\": 2, \"ParityEvery\": 0{(keepSentFor is null ? "" : $", \"KeepSentFor\": \"{keepSentFor}\"")}"
            : "";
        var a = Path.Combine(Folder, "a.json");
        await File.WriteAllTextAsync(a, $$"""
            { "Relay": {
                "Node": { "Id": "site-a", "PrivateKeyFile": "keys/site-a.private.json", "StateDirectory": "state/a" },
                "Peers": [ { "Id": "site-b", "PublicKeyFile": "keys/site-b.public.json", "Direction": "{{senderDirection}}"{{oneWay}} } ],
                "Exchange": { "Outbox": "a-out", "Inbox": "a-in", "PollInterval": "00:00:00.100" },
                "Admin": { "Urls": "" },
                "Egress": { "AllowedTargets": [ "http://127.0.0.1:9/" ] } } }
            """);
        var b = Path.Combine(Folder, "b.json");
        await File.WriteAllTextAsync(b, """
            { "Relay": {
                "Node": { "Id": "site-b", "PrivateKeyFile": "keys/site-b.private.json", "StateDirectory": "state/b" },
                "Peers": [ { "Id": "site-a", "PublicKeyFile": "keys/site-a.public.json", "Direction": "ReceiveOnly" } ],
                "Exchange": { "Outbox": "b-out", "Inbox": "b-in", "PollInterval": "00:00:00.100" },
                "Http": { "PeerSilenceWarning": "00:00:00.500" },
                "Admin": { "Urls": "" },
                "Egress": { "AllowedTargets": [ "http://127.0.0.1:9/" ] } } }
            """);
        return (a, b);
    }
}
