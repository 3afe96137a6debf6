using System.IO.Abstractions;
using Relay.Layer1.Identity;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests;

/// <summary>Nodes in child processes killed with SIGKILL mid-run: nothing lost, nothing handled twice.</summary>
[Collection(nameof(FaultRunTests))]
public sealed class ProcessKillTests : IDisposable
{
    private const int Count = 1500;
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(3);
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task SenderAndReceiverKilledRepeatedly_DeliverEveryMessageInOrder_AndHandleNoneTwice()
    {
        var keys = _folder.Sub("keys");
        var fileSystem = new FileSystem();
        TestKeys.SiteA.Save(fileSystem, keys);
        TestKeys.SiteB.Save(fileSystem, keys);
        var shared = _folder.Sub("shared");
        var log = Path.Combine(_folder.Path, "handled.log");
        string[] senderArgs = ["send", "site-a", "site-b", keys, _folder.Sub("state-a"), shared, Count.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        string[] receiverArgs = ["receive", "site-b", "site-a", keys, _folder.Sub("state-b"), shared, Count.ToString(System.Globalization.CultureInfo.InvariantCulture), log];

        var sender = CrashTestProcess.Start(senderArgs);
        var receiver = CrashTestProcess.Start(receiverArgs);
        var receiverKills = 0;
        try
        {
            // Kill one side or the other each time another tenth of the messages has been handled.
            for (var kill = 1; kill <= 8; kill++)
            {
                var handled = Count * kill / 10;
                await Eventually.TrueAsync(() => HandledLines(log).Length >= handled, RunLimit, $"{handled} messages handled");
                if (kill % 2 == 0 && !sender.HasExited)
                {
                    sender.Kill();
                    sender.Dispose();
                    sender = CrashTestProcess.Start(senderArgs);
                }
                else
                {
                    receiverKills++;
                    receiver.Kill();
                    receiver.Dispose();
                    receiver = CrashTestProcess.Start(receiverArgs);
                }
            }

            using var limit = new CancellationTokenSource(RunLimit);
            await sender.WaitForExitAsync(limit.Token);
            Assert.Equal(0, sender.ExitCode);
        }
        finally
        {
            sender.Dispose();
            receiver.Dispose();
        }

        // The log is the receiver's record of handling; a kill between writing it and committing the
        // handled mark repeats that one line, and only that kind of repeat is allowed.
        var lines = HandledLines(log);
        Assert.All(lines, line => Assert.EndsWith(" ok", line, StringComparison.Ordinal));
        var indices = lines.Select(line => int.Parse(line.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var expected = 0;
        var repeats = 0;
        foreach (var index in indices)
        {
            if (index == expected)
            {
                expected++;
            }
            else
            {
                Assert.Equal(expected - 1, index);
                repeats++;
            }
        }

        Assert.Equal(Count, expected);
        Assert.True(repeats <= receiverKills, $"{repeats} repeats for {receiverKills} receiver kills");
    }

    private static string[] HandledLines(string log)
    {
        if (!File.Exists(log))
        {
            return [];
        }

        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);

        // A kill can leave a half-written last line; only complete lines count.
        var text = reader.ReadToEnd();
        var complete = text[..(text.LastIndexOf('\n') + 1)];
        return complete.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
