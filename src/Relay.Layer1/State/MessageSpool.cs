namespace Relay.Layer1.State;

/// <summary>
/// Holds the bytes of large outgoing messages in files beside the state database, one file per
/// message named by its first sequence number, so the database keeps only their metadata. SQLite
/// writes large blobs at a fraction of the speed of a plain file append. A message's file is
/// written before its rows are committed, so a committed row always finds its bytes.
/// </summary>
internal sealed class MessageSpool
{
    private readonly string _directory;

    public MessageSpool(string stateDirectory, string peer)
    {
        _directory = Path.Combine(stateDirectory, "spool", peer);
        OwnerOnlyFiles.CreateDirectory(Path.Combine(stateDirectory, "spool"));
        OwnerOnlyFiles.CreateDirectory(_directory);
    }

    /// <summary>Messages at least this large are spooled; smaller ones are stored inline.</summary>
    public const int Threshold = 64 * 1024;

    public void Write(long firstSequence, ReadOnlySpan<byte> payload)
    {
        using var stream = OwnerOnlyFiles.Create(PathOf(firstSequence), FileMode.Create, FileShare.None, bufferSize: 1);
        stream.Write(payload);
    }

    public byte[] Read(long firstSequence, long offset, int length)
    {
        using var stream = new FileStream(PathOf(firstSequence), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var data = new byte[length];
        stream.Position = offset;
        stream.ReadExactly(data);
        return data;
    }

    public void Delete(long firstSequence) => File.Delete(PathOf(firstSequence));

    /// <summary>Deletes files no stored fragment refers to: acknowledged before a crash, or never committed.</summary>
    public void DeleteAllExcept(IReadOnlySet<long> referenced)
    {
        foreach (var path in Directory.EnumerateFiles(_directory, "*.msg"))
        {
            if (!long.TryParse(Path.GetFileNameWithoutExtension(path), out var first) || !referenced.Contains(first))
            {
                File.Delete(path);
            }
        }
    }

    private string PathOf(long firstSequence) => Path.Combine(_directory, $"{firstSequence:D20}.msg");
}
