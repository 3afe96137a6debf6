using System.CommandLine;
using System.IO.Abstractions;
using Microsoft.Extensions.Logging;
using Relay.Layer1.Faults;

namespace Relay.Host.Cli;

/// <summary>
/// <c>relay pipe --from DIR --to DIR [--loss P] [--duplicate P] [--truncate P] [--corrupt P]
/// [--replay P] [--delay-ms N] [--seed N] [--sweep-every T] [--latency T] [--bandwidth B]
/// [--max-file-bytes B] [--back-from DIR --back-to DIR [--one-way]]</c>: moves files between two
/// folders the way a bad link would, so a pair of nodes can be rehearsed under loss, on a mirror's
/// schedule, at a link's rate, or through a diode. Runs until Ctrl-C or SIGTERM.
/// </summary>
internal static class PipeCommand
{
    public static Command Create(IFileSystem fileSystem)
    {
        var from = new Option<string>("--from") { Description = "Folder to take files from.", Required = true };
        var to = new Option<string>("--to") { Description = "Folder to deliver files to.", Required = true };
        var loss = Probability("--loss", "Probability a file is lost.");
        var duplicate = Probability("--duplicate", "Probability a file is delivered twice.");
        var truncate = Probability("--truncate", "Probability a delivered file is cut short.");
        var corrupt = Probability("--corrupt", "Probability bits of a delivered file are flipped.");
        var replay = Probability("--replay", "Probability a file is delivered again after --replay-delay-ms.");
        var delay = NonNegative("--delay-ms", "Each delivery waits a random 0..N ms, which reorders files.", 0);
        var replayDelay = NonNegative("--replay-delay-ms", "How long a replayed copy waits.", 2000);
        var sweepEvery = Duration("--sweep-every", "Take files only at sweeps this far apart, as a scheduled mirror does (10s, 5m).");
        var latency = Duration("--latency", "A fixed delay added to every delivery (250ms, 2s).");
        var bandwidth = Bytes("--bandwidth", "The link's rate in bytes per second (20MB, 512KiB); files queue behind each other. Default: unlimited.");
        var maxFileBytes = Bytes("--max-file-bytes", "Cut files larger than this to it, as mirrors do with big files (500MB). Default: no limit.");
        var backFrom = new Option<string?>("--back-from") { Description = "Also move the reverse direction: the folder to take its files from." };
        var backTo = new Option<string?>("--back-to") { Description = "The folder to deliver the reverse direction's files to." };
        var oneWay = new Option<bool>("--one-way") { Description = "Nothing goes back, as through a data diode: files in --back-from are taken and discarded." };
        var seed = new Option<int?>("--seed") { Description = "Seed of the fault plan; the same seed and arrival order give the same faults. Default: a random seed, printed at start." };

        var command = new Command("pipe", "Move files between two folders with seeded loss, duplication, truncation, corruption, delay and replay.")
        {
            from, to, loss, duplicate, truncate, corrupt, replay, delay, replayDelay, seed, sweepEvery, latency, bandwidth, maxFileBytes, backFrom, backTo, oneWay,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(backFrom) is null) != (result.GetValue(backTo) is null))
            {
                result.AddError("--back-from and --back-to go together: give both, or neither.");
            }
            else if (result.GetValue(oneWay) && result.GetValue(backFrom) is null)
            {
                result.AddError("--one-way blocks the reverse direction: give it with --back-from and --back-to.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var profile = new FaultProfile
            {
                Loss = parseResult.GetValue(loss),
                Duplicate = parseResult.GetValue(duplicate),
                Truncate = parseResult.GetValue(truncate),
                Corrupt = parseResult.GetValue(corrupt),
                Replay = parseResult.GetValue(replay),
                MaxDelay = TimeSpan.FromMilliseconds(parseResult.GetValue(delay)),
                ReplayDelay = TimeSpan.FromMilliseconds(parseResult.GetValue(replayDelay)),
                Seed = parseResult.GetValue(seed) ?? Random.Shared.Next(),
                SweepEvery = parseResult.GetValue(sweepEvery),
                Latency = parseResult.GetValue(latency),
                BandwidthBytesPerSecond = parseResult.GetValue(bandwidth),
                MaxFileBytes = parseResult.GetValue(maxFileBytes),
            };
            var source = fileSystem.Path.GetFullPath(parseResult.GetValue(from)!);
            var destination = fileSystem.Path.GetFullPath(parseResult.GetValue(to)!);
            var output = parseResult.InvocationConfiguration.Output;
            using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
            await using var pipe = new FaultInjectingFolderPipe(fileSystem, source, destination, profile, loggers.CreateLogger<FaultInjectingFolderPipe>());
            await pipe.StartAsync(cancellationToken);
            output.WriteLine($"moving {source} -> {destination} (seed {profile.Seed}); Ctrl-C stops");
            await using var back = parseResult.GetValue(backFrom) is { } backSource
                ? new FaultInjectingFolderPipe(
                    fileSystem,
                    fileSystem.Path.GetFullPath(backSource),
                    fileSystem.Path.GetFullPath(parseResult.GetValue(backTo)!),
                    profile with { Seed = profile.Seed + 1, Blocked = parseResult.GetValue(oneWay) },
                    loggers.CreateLogger<FaultInjectingFolderPipe>())
                : null;
            if (back is not null)
            {
                await back.StartAsync(cancellationToken);
                output.WriteLine(parseResult.GetValue(oneWay)
                    ? $"discarding everything in {fileSystem.Path.GetFullPath(parseResult.GetValue(backFrom)!)}: nothing goes back (--one-way)"
                    : $"moving {fileSystem.Path.GetFullPath(parseResult.GetValue(backFrom)!)} -> {fileSystem.Path.GetFullPath(parseResult.GetValue(backTo)!)} (seed {profile.Seed + 1})");
            }

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            await pipe.StopAsync(CancellationToken.None);
            output.WriteLine(pipe.Counters.ToString());
            if (back is not null)
            {
                await back.StopAsync(CancellationToken.None);
                output.WriteLine("back: " + back.Counters);
            }
            return 0;
        });
        return command;
    }

    private static Option<double> Probability(string name, string description)
    {
        var option = new Option<double>(name) { Description = description + " 0 to 1, default 0." };
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (double.IsNaN(value) || value < 0 || value > 1)
            {
                result.AddError($"{name} must be a probability between 0 and 1, not {value}.");
            }
        });
        return option;
    }

    private static Option<TimeSpan> Duration(string name, string description) =>
        Parsed<TimeSpan>(name, description + " Default: 0.", LinkQuantities.TryParseDuration, "a duration such as 250ms, 10s, 5m or 1h");

    private static Option<long> Bytes(string name, string description) =>
        Parsed<long>(name, description, LinkQuantities.TryParseBytes, "a size such as 500, 64KiB, 20MB or 1GiB");

    private delegate bool TryParse<T>(string text, out T value);

    private static Option<T> Parsed<T>(string name, string description, TryParse<T> tryParse, string expected) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (tryParse(text, out var value))
            {
                return value;
            }

            result.AddError($"{name} must be {expected}, not '{text}'.");
            return default;
        },
    };

    private static Option<int> NonNegative(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError($"{name} must not be negative.");
            }
        });
        return option;
    }
}
