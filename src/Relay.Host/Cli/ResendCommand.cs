using System.CommandLine;
using System.IO.Abstractions;
using Relay.Layer1;
using Relay.Layer1.OneWay;

namespace Relay.Host.Cli;

/// <summary>
/// <c>relay resend --config FILE --gaps FILE</c>: on a send-only node, verifies a gap report made by
/// its peer with <c>relay gaps</c> and queues the messages it lacks again, from what the node kept.
/// </summary>
/// <remarks>
/// The request is placed in the node's state directory: a running node takes it at its next inbox
/// poll, a stopped one when it next starts. What will be queued, and what was forgotten after
/// <c>KeepSentFor</c>, is read from the store beforehand, so it can be told at once.
/// Exit codes: 0 queued (or nothing was missing); 1 the report is bad, not for this node, or from a
/// peer that is not SendOnly; 2 bad options or configuration; 3 queued, but some asked for are no longer kept.
/// </remarks>
internal static class ResendCommand
{
    public static Command Create(IFileSystem fileSystem)
    {
        var config = new Option<string>("--config") { Description = "The sending node's JSON config file.", Required = true };
        var gaps = new Option<string>("--gaps") { Description = "The gap report written by relay gaps on the receiving peer.", Required = true };
        var command = new Command("resend", "Queue again the messages a one-way peer's gap report says it lacks.") { config, gaps };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var output = parseResult.InvocationConfiguration.Output;
            var node = await ConfiguredNode.LoadAsync(parseResult.GetValue(config)!, fileSystem, error).ConfigureAwait(false);
            if (node is null)
            {
                return 2;
            }

            var reportPath = fileSystem.Path.GetFullPath(parseResult.GetValue(gaps)!);
            byte[] file;
            try
            {
                file = await fileSystem.File.ReadAllBytesAsync(reportPath, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"relay: --gaps '{reportPath}' cannot be read: {exception.Message}").ConfigureAwait(false);
                return 1;
            }

            GapReport report;
            try
            {
                report = Verify(node, file);
            }
            catch (InvalidDataException exception)
            {
                await error.WriteLineAsync($"relay: --gaps '{reportPath}' is refused: {exception.Message}.").ConfigureAwait(false);
                return 1;
            }

            var stateDirectory = node.Options.Node.StateDirectory;
            var running = node.IsRunning(fileSystem, out var held);
            ResendPlan plan;
            string request;
            using (held)
            {
                plan = ResendRequests.Plan(stateDirectory, report);
                request = ResendRequests.Submit(fileSystem, stateDirectory, report, file);
            }

            await output.WriteLineAsync($"gap report from {report.Receiver}, made {report.Created:u}: received through {report.ReceivedThrough}, {report.Gaps.Count} gap(s) below").ConfigureAwait(false);
            await output.WriteLineAsync(plan.Queued.Count == 0
                ? "queued again: nothing (nothing it lacks was sent)"
                : $"queued again: {plan.QueuedCount} fragment(s): {string.Join(", ", plan.Queued)}").ConfigureAwait(false);
            if (plan.NoLongerKept.Count > 0)
            {
                var keep = node.Options.Peers[node.PeerIndex(report.Receiver)].ToOneWaySettings(PeerDirection.SendOnly).KeepSentFor;
                await output.WriteLineAsync($"NO LONGER KEPT (sent more than KeepSentFor {keep} ago, forgotten): {plan.NoLongerKeptCount} fragment(s): {string.Join(", ", plan.NoLongerKept)}").ConfigureAwait(false);
            }

            await output.WriteLineAsync(running
                ? $"the running node takes the request ({request}) at its next poll (Relay:Exchange:PollInterval {node.Options.Exchange.PollInterval})"
                : $"the node is stopped: it takes the request ({request}) when it next starts").ConfigureAwait(false);
            return plan.NoLongerKept.Count > 0 ? 3 : 0;
        });
        return command;
    }

    private static GapReport Verify(ConfiguredNode node, byte[] file)
    {
        var claimed = GapReport.ClaimedReceiver(file);
        var index = node.PeerIndex(claimed);
        if (index < 0)
        {
            throw new InvalidDataException($"it is from node '{claimed}', which is not one of Relay:Peers");
        }

        var peer = node.Options.Peers[index];
        if (peer.ParseDirection() != PeerDirection.SendOnly)
        {
            throw new InvalidDataException($"it is from '{claimed}', which is Relay:Peers:{index}:Direction {peer.Direction}; only a SendOnly peer is asked to resend (a two-way peer resends by itself)");
        }

        var keys = node.Keyring.Peers.Single(p => p.NodeId == claimed);
        return GapReport.Verify(file, keys, node.Options.Node.Id);
    }
}
