using System.CommandLine;
using System.IO.Abstractions;
using Microsoft.Extensions.Logging;
using Relay.Layer1.Faults;

namespace Relay.Host.Cli;

/// <summary>
/// <c>relay pipe --from DIR --to DIR [--loss P] [--duplicate P] [--truncate P] [--corrupt P]
/// [--replay P] [--delay-ms N] [--seed N]</c>: moves files between two folders the way a bad link
/// would, so a pair of nodes can be rehearsed under loss. Runs until Ctrl-C or SIGTERM.
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
        var seed = new Option<int?>("--seed") { Description = "Seed of the fault plan; the same seed and arrival order give the same faults. Default: a random seed, printed at start." };

        var command = new Command("pipe", "Move files between two folders with seeded loss, duplication, truncation, corruption, delay and replay.")
        {
            from, to, loss, duplicate, truncate, corrupt, replay, delay, replayDelay, seed,
        };
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
            };
            var source = fileSystem.Path.GetFullPath(parseResult.GetValue(from)!);
            var destination = fileSystem.Path.GetFullPath(parseResult.GetValue(to)!);
            var output = parseResult.InvocationConfiguration.Output;
            using var loggers = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
            await using var pipe = new FaultInjectingFolderPipe(fileSystem, source, destination, profile, loggers.CreateLogger<FaultInjectingFolderPipe>());
            await pipe.StartAsync(cancellationToken);
            output.WriteLine($"moving {source} -> {destination} (seed {profile.Seed}); Ctrl-C stops");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            await pipe.StopAsync(CancellationToken.None);
            output.WriteLine(pipe.Counters.ToString());
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
