using System.IO.Abstractions;
using System.Text.Json;
using Relay.Layer1.State;

namespace Relay.Host.Status;

/// <summary>
/// The running node's status, rewritten every second in its state directory, so <c>relay status</c>
/// works for every node, including one without an ingress listener.
/// </summary>
public static class StatusFile
{
    public const string FileName = "status.json";

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>Replaces the file whole (written aside, then renamed), so a reader never sees half of one.</summary>
    public static void Write(IFileSystem fileSystem, string stateDirectory, NodeStatusDocument status)
    {
        var path = PathIn(stateDirectory);
        var temporary = path + ".partial";
        try
        {
            OwnerOnlyFiles.WriteAllBytes(fileSystem, temporary, JsonSerializer.SerializeToUtf8Bytes(status, StatusJsonContext.Default.NodeStatusDocument));
            fileSystem.File.Move(temporary, path, overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A half-written file left beside the status would only confuse whoever looks.
            TryDelete(fileSystem, temporary);
            throw;
        }
    }

    public static NodeStatusDocument? Read(IFileSystem fileSystem, string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        return fileSystem.File.Exists(path) ? JsonSerializer.Deserialize(fileSystem.File.ReadAllBytes(path), StatusJsonContext.Default.NodeStatusDocument) : null;
    }

    private static void TryDelete(IFileSystem fileSystem, string path)
    {
        try
        {
            fileSystem.File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }
}
