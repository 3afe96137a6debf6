using System.IO.Abstractions;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>
/// The machine's file system, except that listing one folder throws an exception no file-system
/// call is documented to throw while <see cref="Failing"/> is set: a folder misbehaving in a way
/// nobody planned for.
/// </summary>
internal sealed class ListingFailureFileSystem : IFileSystem
{
    private readonly FileSystem _inner = new();

    public ListingFailureFileSystem(string folder)
    {
        Directory = new ListingDirectory(this, Path.GetFullPath(folder));
    }

    public volatile bool Failing;

    public IDirectory Directory { get; }

    public IFile File => _inner.File;

    public IFileInfoFactory FileInfo => _inner.FileInfo;

    public IFileStreamFactory FileStream => _inner.FileStream;

    public IPath Path => _inner.Path;

    public IDirectoryInfoFactory DirectoryInfo => _inner.DirectoryInfo;

    public IDriveInfoFactory DriveInfo => _inner.DriveInfo;

    public IFileSystemWatcherFactory FileSystemWatcher => _inner.FileSystemWatcher;

    public IFileVersionInfoFactory FileVersionInfo => _inner.FileVersionInfo;

    public IRandomAccess RandomAccess => _inner.RandomAccess;

    private sealed class ListingDirectory(ListingFailureFileSystem owner, string folder) : DirectoryWrapper(owner)
    {
        public override IEnumerable<string> EnumerateFiles(string path)
        {
            if (owner.Failing && owner.Path.GetFullPath(path) == folder)
            {
                throw new InvalidOperationException($"Listing {path} failed in a way nobody planned for.");
            }

            return base.EnumerateFiles(path);
        }
    }
}
