using System.CommandLine;
using System.IO.Abstractions;

namespace Relay.Host.Cli;

/// <summary>The <c>relay</c> executable's verbs.</summary>
internal static class RelayCommandLine
{
    public static RootCommand Create(IFileSystem? fileSystem = null)
    {
        fileSystem ??= new FileSystem();
        return new RootCommand("Relay carries HTTP across networks that only move files.")
        {
            RunCommand.Create(fileSystem),
            KeygenCommand.Create(fileSystem),
            StatusCommand.Create(fileSystem),
            PipeCommand.Create(fileSystem),
            GapsCommand.Create(fileSystem),
            ResendCommand.Create(fileSystem),
        };
    }
}
