using System.CommandLine;
using System.IO.Abstractions;
using System.Text.Json;
using Relay.Host.Status;
using Relay.Layer1;
using Relay.Layer1.OneWay;

namespace Relay.Host.Cli;

/// <summary>
/// <c>relay gaps --config FILE --peer ID --out FILE</c>: a signed report of what this node lacks from
/// a send-only peer, to be carried to it by hand and given to <c>relay resend</c> there.
/// </summary>
/// <remarks>
/// A running node knows its gaps in memory: they are taken from the status file it rewrites every
/// second. A stopped node knows only what it handled: the holes in that, from its store.
/// Exit codes: 0 written; 1 the node's state could not be read; 2 bad options or configuration.
/// </remarks>
internal static class GapsCommand
{
    // The running node rewrites its status every second; older than this, it is not to be trusted.
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(5);

    public static Command Create(IFileSystem fileSystem)
    {
        var config = new Option<string>("--config") { Description = "The receiving node's JSON config file.", Required = true };
        var peer = new Option<string>("--peer") { Description = "The send-only peer the messages come from (configured ReceiveOnly here).", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the report.", Required = true };
        var command = new Command("gaps", "Write a signed report of the messages this node lacks from a one-way peer, for relay resend on that peer.") { config, peer, output };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var node = await ConfiguredNode.LoadAsync(parseResult.GetValue(config)!, fileSystem, error).ConfigureAwait(false);
            if (node is null)
            {
                return 2;
            }

            var peerId = parseResult.GetValue(peer)!;
            var index = node.PeerIndex(peerId);
            if (index < 0)
            {
                await error.WriteLineAsync($"relay: --peer '{peerId}' is not one of Relay:Peers in {node.ConfigPath}.").ConfigureAwait(false);
                return 2;
            }

            if (node.Options.Peers[index].ParseDirection() != PeerDirection.ReceiveOnly)
            {
                await error.WriteLineAsync($"relay: --peer '{peerId}' is Relay:Peers:{index}:Direction {node.Options.Peers[index].Direction}; a gap report is for a ReceiveOnly peer (a two-way peer resends by itself).").ConfigureAwait(false);
                return 2;
            }

            GapReport report;
            string source;
            try
            {
                (report, source) = Build(fileSystem, node, peerId);
            }
            catch (Exception exception) when (exception is IOException or JsonException or InvalidDataException or Microsoft.Data.Sqlite.SqliteException)
            {
                await error.WriteLineAsync($"relay: cannot read the state of node {node.Options.Node.Id} in {node.Options.Node.StateDirectory}: {exception.Message}").ConfigureAwait(false);
                return 1;
            }

            var path = fileSystem.Path.GetFullPath(parseResult.GetValue(output)!);
            await fileSystem.File.WriteAllBytesAsync(path, report.Sign(node.Keyring.Own), cancellationToken).ConfigureAwait(false);
            var writer = parseResult.InvocationConfiguration.Output;
            var missing = report.Gaps.Sum(gap => gap.Count);
            await writer.WriteLineAsync($"gap report for {peerId} written to {path} ({source})").ConfigureAwait(false);
            await writer.WriteLineAsync($"received through {report.ReceivedThrough}; missing below that: {(report.Gaps.Count == 0 ? "none" : $"{missing} ({string.Join(", ", report.Gaps)})")}").ConfigureAwait(false);
            await writer.WriteLineAsync($"carry it to {peerId} and run there: relay resend --config CONFIG --gaps {fileSystem.Path.GetFileName(path)}").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static (GapReport Report, string Source) Build(IFileSystem fileSystem, ConfiguredNode node, string peer)
    {
        var self = node.Options.Node.Id;
        var stateDirectory = node.Options.Node.StateDirectory;
        var now = DateTimeOffset.UtcNow;
        if (!node.IsRunning(fileSystem, out var held))
        {
            using (held)
            {
                return (GapReport.FromStore(stateDirectory, self, peer, now), "the node is stopped: from what it handled");
            }
        }

        var status = StatusFile.Read(fileSystem, stateDirectory) ?? throw new InvalidDataException("the node runs but has written no status yet; try again in a second");
        if (now - status.At > Stale)
        {
            throw new InvalidDataException($"the node holds its state directory but its status is from {status.At:u}; is it stuck?");
        }

        var peerStatus = status.Peers.SingleOrDefault(p => p.Peer == peer) ?? throw new InvalidDataException($"the running node's status has no peer '{peer}'");
        var gaps = peerStatus.Gaps.Select(gap => new MissingRange(gap.From, gap.To)).ToList();

        // The status lists the lowest gaps only: with more, the report stops at the last listed, and
        // asking for everything after it covers the rest (what the node holds there comes again and is dropped).
        var through = gaps.Sum(gap => gap.Count) < peerStatus.MissingFragments ? gaps[^1].To : peerStatus.HighestReceived;
        return (new GapReport { Receiver = self, Sender = peer, Created = now, ReceivedThrough = through, Gaps = gaps }, "the node is running: from its status");
    }
}
