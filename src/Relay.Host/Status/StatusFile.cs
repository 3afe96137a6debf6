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

    public static void Write(string stateDirectory, NodeStatusDocument status)
    {
        var path = PathIn(stateDirectory);
        var temporary = path + ".partial";
        OwnerOnlyFiles.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(status, StatusJsonContext.Default.NodeStatusDocument));
        File.Move(temporary, path, overwrite: true);
    }

    public static NodeStatusDocument? Read(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), StatusJsonContext.Default.NodeStatusDocument) : null;
    }
}
