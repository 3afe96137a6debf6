using System.IO.Abstractions;

namespace Relay.Layer1.State;

/// <summary>
/// Holds the bytes of large outgoing messages in files beside the state database, one file per
/// message named by its first sequence number, so the database keeps only their metadata. SQLite
/// writes large blobs at a fraction of the speed of a plain file append. A message's file is
/// written before its rows are committed, so a committed row always finds its bytes.
/// </summary>
internal sealed class MessageSpool
{
    private readonly IFileSystem _fileSystem;
    private readonly string _directory;

    public MessageSpool(IFileSystem fileSystem, string stateDirectory, string peer)
    {
        _fileSystem = fileSystem;
        _directory = fileSystem.Path.Combine(stateDirectory, "spool", peer);
        OwnerOnlyFiles.CreateDirectory(fileSystem, fileSystem.Path.Combine(stateDirectory, "spool"));
        OwnerOnlyFiles.CreateDirectory(fileSystem, _directory);
    }

    /// <summary>Messages at least this large are spooled; smaller ones are stored inline.</summary>
    public const int Threshold = 64 * 1024;

    public void Write(long firstSequence, ReadOnlySpan<byte> payload)
    {
        var path = PathOf(firstSequence);
        try
        {
            using var stream = OwnerOnlyFiles.Create(_fileSystem, path, FileMode.Create, FileShare.None, bufferSize: 1);
            stream.Write(payload);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Nothing refers to a file cut short (a full disk): the send fails and leaves no half message behind.
            try
            {
                _fileSystem.File.Delete(path);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Left for the next start, which deletes spool files no stored fragment refers to.
            }

            throw;
        }
    }

    /// <summary>Reads part of a message's bytes into an array of their own.</summary>
    public byte[] Read(long firstSequence, long offset, int length)
    {
        var data = new byte[length];
        Read(firstSequence, offset, data);
        return data;
    }

    /// <summary>Reads part of a message's bytes into <paramref name="destination"/>, which it fills.</summary>
    public void Read(long firstSequence, long offset, Span<byte> destination)
    {
        using var stream = _fileSystem.FileStream.New(PathOf(firstSequence), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        stream.Position = offset;
        stream.ReadExactly(destination);
    }

    public void Delete(long firstSequence) => _fileSystem.File.Delete(PathOf(firstSequence));

    /// <summary>Deletes files no stored fragment refers to: acknowledged before a crash, or never committed.</summary>
    public void DeleteAllExcept(IReadOnlySet<long> referenced)
    {
        foreach (var path in _fileSystem.Directory.EnumerateFiles(_directory, "*.msg"))
        {
            if (!long.TryParse(_fileSystem.Path.GetFileNameWithoutExtension(path), out var first) || !referenced.Contains(first))
            {
                _fileSystem.File.Delete(path);
            }
        }
    }

    private string PathOf(long firstSequence) => _fileSystem.Path.Combine(_directory, $"{firstSequence:D20}.msg");
}
