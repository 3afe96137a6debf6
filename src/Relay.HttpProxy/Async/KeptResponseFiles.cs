using System.IO.Abstractions;
using Relay.Layer1.State;

namespace Relay.HttpProxy.Async;

/// <summary>
/// The folder the bodies of responses kept for requests answered 202 live in, one file per request,
/// on the node's <see cref="IFileSystem"/>. A delete that fails is reported, not thrown: the file
/// then stays counted in the storage budget until a later purge removes it.
/// </summary>
internal sealed class KeptResponseFiles
{
    private readonly IFileSystem _fileSystem;

    public KeptResponseFiles(IFileSystem fileSystem, string directory)
    {
        _fileSystem = fileSystem;
        Directory = directory;
        OwnerOnlyFiles.CreateDirectory(fileSystem, directory);
    }

    public string Directory { get; }

    public string PathOf(Guid id) => _fileSystem.Path.Combine(Directory, $"{id:N}.body");

    /// <summary>Bytes the kept files take now (counted at start-up, before any response is kept).</summary>
    public long MeasureAll() =>
        _fileSystem.DirectoryInfo.New(Directory).EnumerateFiles("*.body").Sum(file => file.Length);

    /// <summary>Opens a response's file to append to, after dropping a record cut short by a crash; returns the last sequence kept.</summary>
    public FileSystemStream OpenForAppend(Guid id, out long lastSequence)
    {
        var path = PathOf(id);
        lastSequence = StoredBodyFile.Recover(_fileSystem, path);
        return OwnerOnlyFiles.Create(_fileSystem, path, FileMode.Append, FileShare.Read | FileShare.Delete, bufferSize: 1);
    }

    public StoredBodyReader OpenReader(Guid id, long? declaredLength) => new(_fileSystem, PathOf(id), declaredLength);

    /// <summary>Deletes a response's file: the bytes it freed (0 when there was none), or null when it could not be deleted.</summary>
    public long? TryDelete(Guid id, out Exception? failure)
    {
        failure = null;
        var path = PathOf(id);
        try
        {
            var file = _fileSystem.FileInfo.New(path);
            if (!file.Exists)
            {
                return 0;
            }

            var length = file.Length;
            _fileSystem.File.Delete(path);
            return length;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            failure = exception;
            return null;
        }
    }
}
