using System.IO.Abstractions;
using Microsoft.Extensions.Options;
using Relay.Host.Configuration;
using Relay.Host.Hosting;

namespace Relay.Host.Cli;

/// <summary>
/// A node's configuration and keys as the verbs that act on a node's state (<c>gaps</c>,
/// <c>resend</c>) load them, reporting what is wrong the way <c>relay run</c> does.
/// </summary>
internal sealed record ConfiguredNode(string ConfigPath, RelayOptions Options, NodeKeyring Keyring)
{
    /// <summary>The node, or null once what is wrong has been written to <paramref name="error"/>.</summary>
    public static async Task<ConfiguredNode?> LoadAsync(string path, IFileSystem fileSystem, TextWriter error)
    {
        try
        {
            var options = RelayConfiguration.Load(path);
            return new ConfiguredNode(path, options, NodeKeyring.Load(options, fileSystem));
        }
        catch (Exception exception) when (exception is OptionsValidationException or FileNotFoundException or InvalidDataException or FormatException or InvalidOperationException)
        {
            var failures = exception is OptionsValidationException validation ? validation.Failures.ToList() : [exception.Message];
            await error.WriteLineAsync($"relay: invalid configuration in {path}: {string.Join(" ", failures)}").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>The index of the peer in <c>Relay:Peers</c>, or -1.</summary>
    public int PeerIndex(string peer)
    {
        for (var i = 0; i < Options.Peers.Count; i++)
        {
            if (Options.Peers[i].Id == peer)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Whether the node runs now: its state directory's lock is held. When it is not, the lock is
    /// taken and returned, so the node cannot start while the verb reads its state.
    /// </summary>
    public bool IsRunning(IFileSystem fileSystem, out StateDirectoryLock? held)
    {
        try
        {
            held = StateDirectoryLock.Acquire(fileSystem, Options.Node.StateDirectory);
            return false;
        }
        catch (InvalidOperationException)
        {
            held = null;
            return true;
        }
    }
}
