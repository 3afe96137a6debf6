using System.IO.Abstractions;
using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Diagnostics;
using Relay.Layer1.State;

namespace Relay.HttpProxy.Streams;

/// <summary>
/// The folder where body bytes that arrived beyond a stream's in-memory window wait for a reader
/// that lags (a window grown on a slow link holds more than memory should). One file per stream
/// direction, deleted when the body is done with; nothing in it outlives a run, so it is emptied at start.
/// </summary>
internal sealed class WaitingBodyFolder
{
    private readonly IFileSystem _fileSystem;
    private readonly string _directory;

    private WaitingBodyFolder(IFileSystem fileSystem, string directory)
    {
        _fileSystem = fileSystem;
        _directory = directory;
    }

    /// <summary>Creates the folder under the state directory, or empties what a previous run left.</summary>
    public static WaitingBodyFolder Open(IFileSystem fileSystem, string stateDirectory, ILogger logger)
    {
        var directory = fileSystem.Path.Combine(stateDirectory, "waiting-bodies");
        OwnerOnlyFiles.CreateDirectory(fileSystem, directory);
        foreach (var path in fileSystem.Directory.EnumerateFiles(directory))
        {
            try
            {
                fileSystem.File.Delete(path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                HttpProxyLog.PurgeFailed(logger, exception);
            }
        }

        return new WaitingBodyFolder(fileSystem, directory);
    }

    /// <summary>A spill for one body direction; its file is made only if something has to wait in it.</summary>
    public BodySpill For(string peer, Guid streamId, bool fromInitiator) =>
        new(_fileSystem, _fileSystem.Path.Combine(_directory, $"{peer}-{streamId:N}-{(fromInitiator ? "request" : "response")}.part"));
}
