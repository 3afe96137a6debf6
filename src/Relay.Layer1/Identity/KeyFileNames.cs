namespace Relay.Layer1.Identity;

/// <summary>Key files are named <c>ID.private.json</c> and <c>ID.public.json</c>.</summary>
internal static class KeyFileNames
{
    public const string PrivateSuffix = ".private.json";
    public const string PublicSuffix = ".public.json";

    /// <summary>The node id a key file speaks for: its <c>relay_node</c> member, which must agree with the file name when that follows the pattern.</summary>
    public static string ResolveNodeId(JsonWebKeySetDocument set, string path, string suffix)
    {
        var fileName = Path.GetFileName(path);
        var fromName = fileName.EndsWith(suffix, StringComparison.Ordinal) ? fileName[..^suffix.Length] : null;
        var nodeId = set.NodeId ?? fromName;
        if (!NodeId.IsValid(nodeId))
        {
            throw new InvalidDataException($"{path}: no valid node id (\"relay_node\" member or file name): {NodeId.Rule}.");
        }

        if (set.NodeId is not null && fromName is not null && fromName != set.NodeId)
        {
            throw new InvalidDataException($"{path}: the file is named for '{fromName}' but holds the keys of '{set.NodeId}'.");
        }

        return nodeId!;
    }
}
