using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Relay.Host.Configuration;
using Relay.Host.Hosting;

namespace Relay.Host.Cli;

/// <summary><c>relay run --config FILE</c>: runs one node until Ctrl-C or SIGTERM.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "The node's JSON config file (section Relay).", Required = true };
        var command = new Command("run", "Run a node: its channels to peers, and its ingress and egress.") { config };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(config)!;
            RelayOptions options;
            try
            {
                options = RelayConfiguration.Load(path);
            }
            catch (Exception exception) when (exception is OptionsValidationException or FileNotFoundException or InvalidDataException or FormatException or InvalidOperationException)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"relay: invalid configuration in {path}:").ConfigureAwait(false);
                foreach (var failure in exception is OptionsValidationException validation ? validation.Failures : [exception.Message])
                {
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync("  " + failure).ConfigureAwait(false);
                }

                return 2;
            }

            using var host = RelayHost.Build(options, RelayConfiguration.Build(path));
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
