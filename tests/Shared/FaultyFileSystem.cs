using System.IO.Abstractions;
using System.IO.Abstractions.TestingHelpers;
using Microsoft.Win32.SafeHandles;

namespace Relay.Tests.Shared;

/// <summary>
/// An in-memory file system whose renames, deletes and writes can be made to fail, for paths a
/// predicate picks: a rename or delete that throws, a disk that is full (every write fails), a
/// write cut off part way (the first bytes land, then the disk fills), and a read that fails.
/// </summary>
internal sealed class FaultyFileSystem : MockFileSystem
{
    /// <summary>The error a full disk gives on Linux (ENOSPC), as .NET reports it.</summary>
    public const int DiskFullHResult = 28;

    private readonly FaultyFile _file;
    private readonly FaultyFileStreamFactory _streams;
    private int _renameFailures;
    private int _deleteFailures;
    private int _writeFailures;
    private int _readFailures;
    private long _bytesBeforeFailure = -1;

    public FaultyFileSystem()
    {
        _file = new FaultyFile(this);
        _streams = new FaultyFileStreamFactory(this, new MockFileStreamFactory(this));
    }

    public override IFile File => _file;

    public override IFileStreamFactory FileStream => _streams;

    /// <summary>Which paths the faults apply to; every path when null.</summary>
    public Func<string, bool>? Affects { get; set; }

    /// <summary>Renames and writes that have failed so far.</summary>
    public int RenamesFailed { get; private set; }

    public int WritesFailed { get; private set; }

    public int DeletesFailed { get; private set; }

    public int ReadsFailed { get; private set; }

    /// <summary>The next <paramref name="count"/> renames onto an affected path throw.</summary>
    public void FailRenames(int count) => Volatile.Write(ref _renameFailures, count);

    /// <summary>The next <paramref name="count"/> deletes of an affected path throw.</summary>
    public void FailDeletes(int count) => Volatile.Write(ref _deleteFailures, count);

    /// <summary>
    /// The next <paramref name="count"/> writes to affected paths that would take a file past
    /// <paramref name="bytesBeforeFailure"/> bytes fail as a full disk does, after writing up to it.
    /// </summary>
    public void FailWrites(int count, long bytesBeforeFailure = 0)
    {
        Volatile.Write(ref _bytesBeforeFailure, bytesBeforeFailure);
        Volatile.Write(ref _writeFailures, count);
    }

    /// <summary>The next <paramref name="count"/> reads from affected files opened after this call fail as a bad disk does.</summary>
    public void FailReads(int count) => Volatile.Write(ref _readFailures, count);

    private bool IsAffected(string path) => Affects?.Invoke(path) ?? true;

    private bool TakeRenameFailure(string destination)
    {
        if (!TakeFailure(ref _renameFailures, destination))
        {
            return false;
        }

        RenamesFailed++;
        return true;
    }

    private bool TakeDeleteFailure(string path)
    {
        if (!TakeFailure(ref _deleteFailures, path))
        {
            return false;
        }

        DeletesFailed++;
        return true;
    }

    // A path the faults do not apply to leaves the armed failures for the next one that does.
    private bool TakeFailure(ref int armed, string path)
    {
        if (!IsAffected(path))
        {
            return false;
        }

        if (Interlocked.Decrement(ref armed) < 0)
        {
            Interlocked.Exchange(ref armed, 0);
            return false;
        }

        return true;
    }

    private bool MayFailWrites(string path, FileAccess access) => access != FileAccess.Read && IsAffected(path) && Volatile.Read(ref _writeFailures) > 0;

    // Counted when a write would cross the budget, so files that stay under it do not use up a failure.
    private bool TakeWriteFailure()
    {
        if (Interlocked.Decrement(ref _writeFailures) < 0)
        {
            Interlocked.Exchange(ref _writeFailures, 0);
            return false;
        }

        WritesFailed++;
        return true;
    }

    private bool MayFailReads(string path, FileAccess access) => access != FileAccess.Write && IsAffected(path) && Volatile.Read(ref _readFailures) > 0;

    private bool TakeReadFailure()
    {
        if (Interlocked.Decrement(ref _readFailures) < 0)
        {
            Interlocked.Exchange(ref _readFailures, 0);
            return false;
        }

        ReadsFailed++;
        return true;
    }

    private sealed class FaultyFile(FaultyFileSystem fileSystem) : MockFile(fileSystem)
    {
        public override void Move(string sourceFileName, string destFileName) => Move(sourceFileName, destFileName, overwrite: false);

        public override void Move(string sourceFileName, string destFileName, bool overwrite)
        {
            if (fileSystem.TakeRenameFailure(destFileName))
            {
                throw new IOException($"Renaming '{sourceFileName}' failed (injected).");
            }

            base.Move(sourceFileName, destFileName, overwrite);
        }

        public override void Delete(string path)
        {
            if (fileSystem.TakeDeleteFailure(path))
            {
                throw new IOException($"Deleting '{path}' failed (injected).");
            }

            base.Delete(path);
        }
    }

    private sealed class FaultyFileStreamFactory(FaultyFileSystem owner, IFileStreamFactory inner) : IFileStreamFactory
    {
        public IFileSystem FileSystem => owner;

        public FileSystemStream New(SafeFileHandle handle, FileAccess access) => inner.New(handle, access);

        public FileSystemStream New(SafeFileHandle handle, FileAccess access, int bufferSize) => inner.New(handle, access, bufferSize);

        public FileSystemStream New(SafeFileHandle handle, FileAccess access, int bufferSize, bool isAsync) => inner.New(handle, access, bufferSize, isAsync);

        public FileSystemStream New(string path, FileMode mode) => Wrap(path, AccessOf(mode), inner.New(path, mode));

        public FileSystemStream New(string path, FileMode mode, FileAccess access) => Wrap(path, access, inner.New(path, mode, access));

        public FileSystemStream New(string path, FileMode mode, FileAccess access, FileShare share) => Wrap(path, access, inner.New(path, mode, access, share));

        public FileSystemStream New(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize) =>
            Wrap(path, access, inner.New(path, mode, access, share, bufferSize));

        public FileSystemStream New(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize, bool useAsync) =>
            Wrap(path, access, inner.New(path, mode, access, share, bufferSize, useAsync));

        public FileSystemStream New(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize, FileOptions options) =>
            Wrap(path, access, inner.New(path, mode, access, share, bufferSize, options));

        public FileSystemStream New(string path, FileStreamOptions options) => Wrap(path, options.Access, inner.New(path, options));

        public FileSystemStream Wrap(FileStream fileStream) => inner.Wrap(fileStream);

        private static FileAccess AccessOf(FileMode mode) => mode == FileMode.Append ? FileAccess.Write : FileAccess.ReadWrite;

        private FileSystemStream Wrap(string path, FileAccess access, FileSystemStream stream)
        {
            if (owner.MayFailWrites(path, access))
            {
                return new FillingStream(owner, stream, path, Volatile.Read(ref owner._bytesBeforeFailure));
            }

            return owner.MayFailReads(path, access) ? new FailingReadStream(owner, stream, path) : stream;
        }
    }

    // Takes writes until its budget is spent, then fails every one as a full disk does.
    private sealed class FillingStream(FaultyFileSystem owner, FileSystemStream inner, string path, long budget) : FileSystemStream(inner, path, inner.IsAsync)
    {
        private long _left = budget;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_left >= buffer.Length || !owner.TakeWriteFailure())
            {
                base.Write(buffer);
                _left -= buffer.Length;
                return;
            }

            var taken = (int)Math.Max(_left, 0);
            base.Write(buffer[..taken]);
            _left = 0;
            throw new IOException("No space left on device (injected).", DiskFullHResult);
        }

        public override void WriteByte(byte value) => Write([value]);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    // Reads fail while failures are armed, then pass through.
    private sealed class FailingReadStream(FaultyFileSystem owner, FileSystemStream inner, string path) : FileSystemStream(inner, path, inner.IsAsync)
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer) =>
            owner.TakeReadFailure() ? throw new IOException("Input/output error (injected).") : base.Read(buffer);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
