using System.CommandLine;
using System.Globalization;
using System.IO.Abstractions;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Relay.Host.Configuration;
using Relay.Host.Status;

namespace Relay.Host.Cli;

/// <summary><c>relay status --config FILE [--json]</c>: the node's channels, per peer, from its status file.</summary>
internal static class StatusCommand
{
    // The running node rewrites its status every second; older than this, it is not running.
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(5);

    public static Command Create(IFileSystem fileSystem)
    {
        var config = new Option<string>("--config") { Description = "The node's JSON config file.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the status as JSON." };
        var command = new Command("status", "Show a node's channels: sent, acknowledged, in flight, resent, received, delivered, rejected files.") { config, json };
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var path = Path.GetFullPath(parseResult.GetValue(config)!);
            if (!fileSystem.File.Exists(path))
            {
                error.WriteLine($"relay: the config file '{path}' does not exist.");
                return 2;
            }

            var stateDirectory = RelayConfiguration.Build(path).GetValue<string>("Relay:Node:StateDirectory");
            if (string.IsNullOrWhiteSpace(stateDirectory))
            {
                error.WriteLine($"relay: {path} does not set Relay:Node:StateDirectory.");
                return 2;
            }

            stateDirectory = Path.GetFullPath(stateDirectory, Path.GetDirectoryName(path)!);
            NodeStatusDocument? status;
            try
            {
                status = StatusFile.Read(fileSystem, stateDirectory);
            }
            catch (Exception exception) when (exception is IOException or JsonException)
            {
                error.WriteLine($"relay: cannot read the status in {stateDirectory}: {exception.Message}");
                return 1;
            }

            if (status is null)
            {
                error.WriteLine($"relay: no status in {stateDirectory}; the node has not run yet.");
                return 1;
            }

            var age = DateTimeOffset.UtcNow - status.At;
            if (parseResult.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(status, StatusJsonContext.Default.NodeStatusDocument));
            }
            else
            {
                WriteTable(output, status, age);
            }

            return age > Stale || status.State == NodeStates.Stopped ? 3 : 0;
        });
        return command;
    }

    private static void WriteTable(TextWriter output, NodeStatusDocument status, TimeSpan age)
    {
        var state = status.State == NodeStates.Stopped ? $"stopped (at {status.At:u})"
            : age > Stale ? $"NOT RUNNING (last status {status.At:u})"
            : status.Down.Count > 0 ? "running, DOWN"
            : status.Warnings.Count > 0 ? "running, DEGRADED" : "running";
        output.WriteLine($"node {status.Node}: {state}; ingress {(status.Ingress ? "on" : "off")}, egress {(status.Egress ? "on" : "off")}");
        if (status.Ingress)
        {
            output.WriteLine($"requests answered 202 waiting for their response: {status.AsyncRequestsWaiting}; callbacks being delivered: {status.CallbacksBeingDelivered}");
            output.WriteLine($"kept responses use {Size(status.AsyncStorageBytes)} of {Size(status.AsyncStorageLimitBytes)}");
            output.WriteLine($"cache: {status.CacheHits} hits, {status.CacheMisses} misses, {Size(status.CacheBytes)} kept");
        }
        foreach (var peer in status.Peers)
        {
            var rejected = peer.RejectedFiles.Count == 0 ? "none" : string.Join(", ", peer.RejectedFiles.Select(r => $"{r.Key} {r.Value}"));
            var lastSeen = peer.LastFileSeen is { } seen ? $"{seen:u} ({(status.At - seen).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s before)" : "never";
            var oldest = peer.OldestUnacknowledgedSeconds is { } seconds ? seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "-";
            output.WriteLine(peer.Direction == "Both" ? $"peer {peer.Peer}" : $"peer {peer.Peer} ({peer.Direction})");
            if (peer.Direction == "SendOnly")
            {
                output.WriteLine($"  sent {peer.Sent}, written out {peer.Acknowledged} (nothing comes back), waiting to be written {peer.InFlight} ({Size(peer.InFlightBytes)}), resent on request {peer.Resent}");
                output.WriteLine($"  files written {peer.FilesWritten}: extra copies {peer.CopiesWritten}, parity files {peer.ParityFilesWritten}");
            }
            else if (peer.Direction != "ReceiveOnly")
            {
                output.WriteLine($"  sent {peer.Sent}, acked {peer.Acknowledged}, in flight {peer.InFlight} ({Size(peer.InFlightBytes)}), resent {peer.Resent}, oldest unacked {oldest}");
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round trip {peer.SmoothedRoundTripMilliseconds / 1000:0.00} s (lowest {peer.BaseRoundTripMilliseconds / 1000:0.00} s), on the link {Size(peer.BytesOnLink)} of {(peer.LinkWindowBytes is { } window ? Size(window) : "-")}"));
            }

            if (peer.Direction != "SendOnly")
            {
                output.WriteLine($"  received {peer.Received}, delivered {peer.Delivered}, handled {peer.Handled}, duplicates {peer.DuplicatesDropped}");
                WriteGaps(output, peer);
            }

            output.WriteLine($"  rejected files: {rejected}");
            foreach (var (reason, detail) in peer.LastRejectDetails)
            {
                output.WriteLine($"    last {reason}: {detail}");
            }

            output.WriteLine($"  last file seen: {lastSeen}");
            if (peer.FileWritesFailed > 0)
            {
                output.WriteLine($"  files that could not be written to the outbox: {peer.FileWritesFailed}");
            }

            output.WriteLine($"  streams: {peer.CallerStreams} from callers here, {peer.CalleeStreams} to callees here; malformed frames {peer.MalformedFrames}");
            if (peer.OneWay is { } oneWay)
            {
                output.WriteLine(oneWay.Direction == nameof(Layer1.PeerDirection.SendOnly)
                    ? $"  one-way (sends only): {oneWay.Sent} request(s) sent ({oneWay.SentBytes} body bytes), {oneWay.Refused} refused for needing a response"
                    : $"  one-way (receives only): replayed {FormatStatuses(oneWay.CalleeStatuses)}; {oneWay.Failed} without a response, {oneWay.Late} late, {oneWay.Duplicates} duplicate(s) not replayed");
            }

                        if (peer.PeerSupportedVersions is { } versions)
            {
                output.WriteLine($"  VERSION MISMATCH: {peer.Peer} speaks frame versions {string.Join(", ", versions)} only");
            }
        }

        foreach (var loop in status.Loops.Where(loop => loop.Failures > 0))
        {
            output.WriteLine($"loop {loop.Name}: {(loop.Running ? "running" : "DOWN")}, {loop.Failures} failure(s), last at {loop.LastFailedAt:u}: {loop.LastError}");
        }

        foreach (var down in status.Down)
        {
            output.WriteLine("DOWN: " + down);
        }

        foreach (var warning in status.Warnings)
        {
            output.WriteLine("WARNING: " + warning);
        }

        if (status.RejectedFromUnknownSenders.Count > 0)
        {
            output.WriteLine("files from unknown senders: " + string.Join(", ", status.RejectedFromUnknownSenders.Select(r => $"{r.Key} {r.Value}")));
        }
    }

    private static void WriteGaps(TextWriter output, PeerStatusDocument peer)
    {
        if (peer.Direction == "ReceiveOnly")
        {
            output.WriteLine($"  copies received {peer.DuplicateFiles}, files rebuilt from parity {peer.ParityRebuilds}");
        }

        if (peer.MissingFragments == 0)
        {
            if (peer.Direction == "ReceiveOnly")
            {
                output.WriteLine($"  gaps: none (highest received {peer.HighestReceived})");
            }

            return;
        }

        var listed = string.Join(", ", peer.Gaps.Select(gap =>
            (gap.From == gap.To ? $"{gap.From}" : $"{gap.From}-{gap.To}") + $" (for {gap.OpenSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)"));
        var more = peer.Gaps.Sum(gap => gap.To - gap.From + 1) < peer.MissingFragments ? ", …" : "";
        if (peer.Direction != "ReceiveOnly")
        {
            // On a two-way link a gap is the normal moment between a loss and its resend.
            output.WriteLine($"  gaps: {peer.MissingFragments} missing below {peer.HighestReceived}, resent by {peer.Peer} as its acks show: {listed}{more}");
            return;
        }

        output.WriteLine($"  GAPS: {peer.MissingFragments} missing below {peer.HighestReceived}: {listed}{more}");
        output.WriteLine($"    nothing comes back by itself: relay gaps --config CONFIG --peer {peer.Peer} --out FILE, and carry FILE to {peer.Peer}");
    }

    // Binary units, as disks and limits are usually given: 8 GiB reads better than 8589934592 bytes.
    // "200 ×3, 503 ×1", or "nothing" before the first replay.
    private static string FormatStatuses(IReadOnlyDictionary<string, long> statuses) =>
        statuses.Count == 0 ? "nothing" : string.Join(", ", statuses.Select(s => $"{s.Key} ×{s.Value}"));

    private static string Size(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} bytes" : value.ToString(value < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
