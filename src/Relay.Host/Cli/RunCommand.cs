using System.CommandLine;
using System.IO.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Relay.Host.Configuration;
using Relay.Host.Hosting;

namespace Relay.Host.Cli;

/// <summary><c>relay run --config FILE</c>: runs one node until Ctrl-C or SIGTERM.</summary>
/// <remarks>
/// Everything that can be checked before the node opens its channels is checked first: the
/// configuration, the key files against it, and the listening ports. A node that would fail later
/// must not start half-way, taking its peers' files while serving nobody.
/// </remarks>
internal static class RunCommand
{
    public static Command Create(IFileSystem fileSystem)
    {
        var config = new Option<string>("--config") { Description = "The node's JSON config file (section Relay).", Required = true };
        var command = new Command("run", "Run a node: its channels to peers, and its ingress and egress.") { config };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(config)!;
            var error = parseResult.InvocationConfiguration.Error;
            RelayOptions options;
            try
            {
                options = RelayConfiguration.Load(path);
            }
            catch (Exception exception) when (exception is OptionsValidationException or FileNotFoundException or InvalidDataException or FormatException or InvalidOperationException)
            {
                await ReportAsync(error, path, exception is OptionsValidationException validation ? [.. validation.Failures] : [exception.Message]).ConfigureAwait(false);
                return 2;
            }

            // Before anything else of the node is opened: a second instance must leave the first untouched.
            StateDirectoryLock stateLock;
            try
            {
                stateLock = StateDirectoryLock.Acquire(fileSystem, options.Node.StateDirectory);
            }
            catch (InvalidOperationException exception)
            {
                await error.WriteLineAsync("relay: " + exception.Message).ConfigureAwait(false);
                return 2;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                await ReportAsync(error, path, [$"Relay:Node:StateDirectory: cannot use '{options.Node.StateDirectory}': {exception.Message}"]).ConfigureAwait(false);
                return 2;
            }

            using var heldLock = stateLock;
            NodeKeyring keyring;
            try
            {
                keyring = NodeKeyring.Load(options, fileSystem);
            }
            catch (InvalidDataException exception)
            {
                await ReportAsync(error, path, [exception.Message]).ConfigureAwait(false);
                return 2;
            }

            var unbindable = ListenUrls(options).SelectMany(url => ListenAddresses.FindUnbindable(url.Url).Select(failure => $"{url.Key}: {failure}")).ToList();
            if (unbindable.Count > 0)
            {
                await ReportAsync(error, path, unbindable).ConfigureAwait(false);
                return 2;
            }

            using var host = RelayHost.Build(options, RelayConfiguration.Build(path), keyring: keyring, fileSystem: fileSystem);
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static IEnumerable<(string Key, string Url)> ListenUrls(RelayOptions options)
    {
        var ingress = options.Ingress is { } entry ? ListenAddresses.Split(entry.Urls) : [];
        return ingress.Select(url => ("Relay:Ingress:Urls", url))
            .Concat(ListenAddresses.Split(options.Admin.Urls).Select(url => ("Relay:Admin:Urls", url)));
    }

    // One line for one problem, so it reads at a glance in a service log; a list for several.
    private static async Task ReportAsync(TextWriter error, string path, List<string> failures)
    {
        if (failures.Count == 1)
        {
            await error.WriteLineAsync($"relay: invalid configuration in {path}: {failures[0]}").ConfigureAwait(false);
            return;
        }

        await error.WriteLineAsync($"relay: invalid configuration in {path}:").ConfigureAwait(false);
        foreach (var failure in failures)
        {
            await error.WriteLineAsync("  " + failure).ConfigureAwait(false);
        }
    }
}
