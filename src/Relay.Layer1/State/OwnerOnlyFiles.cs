using System.IO.Abstractions;

namespace Relay.Layer1.State;

/// <summary>
/// Creates the node's local files so that only its own user can read them: folders 0700, files 0600.
/// State, spooled messages and kept responses hold plaintext request headers and bodies.
/// Modes are set at creation (never tightened after the first byte is written) and, for files and
/// folders a previous version left behind, tightened when opened. Everything but the SQLite database
/// (which SQLite opens itself) goes through the node's <see cref="IFileSystem"/>.
/// </summary>
public static class OwnerOnlyFiles
{
    /// <summary>rwx for the owner only.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>rw for the owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly string[] DatabaseCompanions = ["", "-wal", "-shm", "-journal"];

    // SQLite opens the real disk itself, so its folder is made there too.
    private static readonly FileSystem Disk = new();

    /// <summary>Creates a folder SQLite keeps a database in, on the real disk.</summary>
    public static void CreateDatabaseDirectory(string path) => CreateDirectory(Disk, path);

    /// <summary>Creates <paramref name="path"/> (and missing parents) as 0700, or tightens it to 0700 when it exists.</summary>
    public static void CreateDirectory(IFileSystem fileSystem, string path)
    {
        if (OperatingSystem.IsWindows())
        {
            fileSystem.Directory.CreateDirectory(path);
            return;
        }

        if (fileSystem.Directory.Exists(path))
        {
            fileSystem.File.SetUnixFileMode(path, DirectoryMode);
            return;
        }

        if (fileSystem is FileSystem)
        {
            fileSystem.Directory.CreateDirectory(path, DirectoryMode);
            return;
        }

        // A file system that cannot create with a mode (an in-memory one) gets it right after.
        fileSystem.Directory.CreateDirectory(path);
        fileSystem.File.SetUnixFileMode(path, DirectoryMode);
    }

    /// <summary>Options for a <see cref="FileStream"/> that creates its file as 0600.</summary>
    public static FileStreamOptions Options(System.IO.FileMode mode, FileAccess access, FileShare share, int bufferSize = 4096, bool useAsync = false)
    {
        var options = new FileStreamOptions
        {
            Mode = mode,
            Access = access,
            Share = share,
            BufferSize = bufferSize,
            Options = useAsync ? FileOptions.Asynchronous : FileOptions.None,
        };
        if (!OperatingSystem.IsWindows() && mode is not (System.IO.FileMode.Open or System.IO.FileMode.Truncate))
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    /// <summary>Opens (creating as 0600) a file for writing.</summary>
    public static FileSystemStream Create(IFileSystem fileSystem, string path, System.IO.FileMode mode, FileShare share, int bufferSize = 4096) =>
        fileSystem.FileStream.New(path, Options(mode, FileAccess.Write, share, bufferSize));

    /// <summary>Writes a whole file, created as 0600.</summary>
    public static void WriteAllBytes(IFileSystem fileSystem, string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = Create(fileSystem, path, System.IO.FileMode.Create, FileShare.None, bufferSize: 1);
        stream.Write(bytes);
    }

    /// <summary>
    /// Makes sure a SQLite database file exists as 0600 before SQLite opens it: SQLite gives its WAL,
    /// shared-memory and journal files the database file's mode, so they are owner-only too. SQLite
    /// reads and writes the real disk, so this does too.
    /// </summary>
    public static void PrepareDatabase(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // Opening also creates it, as 0600, when it is new; an existing one is tightened below.
        using (new FileStream(path, Options(System.IO.FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)))
        {
        }

        foreach (var suffix in DatabaseCompanions)
        {
            if (File.Exists(path + suffix))
            {
                File.SetUnixFileMode(path + suffix, FileMode);
            }
        }
    }
}
