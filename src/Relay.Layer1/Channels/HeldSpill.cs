using System.IO.Abstractions;
using Microsoft.Extensions.Logging;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.State;

namespace Relay.Layer1.Channels;

/// <summary>
/// The bytes of held fragments that do not fit in memory, for one inbound channel: appended to files
/// under <c>held/&lt;peer&gt;/</c> in the state directory, one open handle per file, a new file once
/// the current one reaches <see cref="RollBytes"/>. A file is deleted as soon as nothing in it is
/// still held, so the disk gives back delivered data in steps of at most that size.
/// Nothing here outlives a run: the receiver's ack epoch changes at start, so the sender sends again
/// whatever was held, and the folder is emptied when the channel opens. Hence no fsync either.
/// Not thread-safe: the inbound channel calls it under its lock.
/// </summary>
internal sealed class HeldSpill : IDisposable
{
    /// <summary>Size at which appends move on to a new file, so delivered data leaves the disk in steps.</summary>
    public const long RollBytes = 64L * 1024 * 1024;

    private readonly IFileSystem _fileSystem;
    private readonly string _directory;
    private readonly string _peer;
    private readonly ILogger _logger;
    private readonly Dictionary<long, SpillFile> _files = [];
    private SpillFile? _current;
    private long _lastNumber;
    private bool _disposed;

    private HeldSpill(IFileSystem fileSystem, string directory, string peer, ILogger logger)
    {
        _fileSystem = fileSystem;
        _directory = directory;
        _peer = peer;
        _logger = logger;
    }

    /// <summary>Files open now.</summary>
    public int FileCount => _files.Count;

    /// <summary>Creates the channel's folder, or empties what a previous run left in it.</summary>
    public static HeldSpill Open(IFileSystem fileSystem, string stateDirectory, string peer, ILogger logger)
    {
        var root = fileSystem.Path.Combine(stateDirectory, "held");
        var directory = fileSystem.Path.Combine(root, peer);
        OwnerOnlyFiles.CreateDirectory(fileSystem, root);
        OwnerOnlyFiles.CreateDirectory(fileSystem, directory);
        foreach (var path in fileSystem.Directory.EnumerateFiles(directory))
        {
            try
            {
                fileSystem.File.Delete(path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // A file left over wastes space but misleads nothing: numbering starts past it below.
                Layer1Log.FileDeleteFailed(logger, exception, path);
            }
        }

        var spill = new HeldSpill(fileSystem, directory, peer, logger);
        spill._lastNumber = fileSystem.Directory.EnumerateFiles(directory).Select(spill.NumberOf).DefaultIfEmpty(0).Max();
        return spill;
    }

    /// <summary>Appends a fragment's bytes; false when the disk refused them (logged), and nothing is kept.</summary>
    public bool TryWrite(ReadOnlySpan<byte> data, out SpilledBytes location)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        location = default;
        try
        {
            if (_current is null || _current.Length >= RollBytes)
            {
                Roll();
            }

            var file = _current!;
            file.Stream.Position = file.Length;
            file.Stream.Write(data);

            // Unbuffered on disk already; a file system that buffers regardless must not hide a full disk until later.
            file.Stream.Flush();
            location = new SpilledBytes(file.Number, file.Length, data.Length);
            file.Length += data.Length;
            file.Live++;
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.HeldWriteFailed(_logger, exception, _peer, data.Length);

            // What part of the write landed is unknown: later appends go to a fresh file.
            if (_current is not null)
            {
                var failed = _current;
                _current = null;
                if (failed.Live == 0)
                {
                    Delete(failed);
                }
            }

            return false;
        }
    }

    /// <summary>Reads a fragment's bytes back into <paramref name="destination"/>, which must be its length.</summary>
    /// <exception cref="IOException">The file could not be read.</exception>
    public void Read(SpilledBytes location, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var file = _files[location.File];
        file.Stream.Position = location.Offset;
        file.Stream.ReadExactly(destination[..location.Length]);
    }

    /// <summary>The fragment at <paramref name="location"/> is no longer held; its file goes when it held the last.</summary>
    public void Release(SpilledBytes location)
    {
        if (_disposed || !_files.TryGetValue(location.File, out var file) || --file.Live > 0)
        {
            return;
        }

        if (file == _current)
        {
            _current = null;
        }

        Delete(file);
    }

    /// <summary>Closes and deletes every file: what they held is not needed after the run.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var file in _files.Values.ToList())
        {
            Delete(file);
        }

        _current = null;
    }

    private void Roll()
    {
        _current = null;
        var number = _lastNumber + 1;
        var path = _fileSystem.Path.Combine(_directory, $"{number:D10}.held");
        var stream = _fileSystem.FileStream.New(path, OwnerOnlyFiles.Options(FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 1));
        _lastNumber = number;
        var file = new SpillFile(number, path, stream);
        _files.Add(number, file);
        _current = file;
    }

    private void Delete(SpillFile file)
    {
        _files.Remove(file.Number);
        try
        {
            file.Stream.Dispose();
            _fileSystem.File.Delete(file.Path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Emptied at the next start.
            Layer1Log.FileDeleteFailed(_logger, exception, file.Path);
        }
    }

    private long NumberOf(string path) =>
        long.TryParse(_fileSystem.Path.GetFileNameWithoutExtension(path), out var number) ? number : 0;

    private sealed class SpillFile(long number, string path, FileSystemStream stream)
    {
        public long Number { get; } = number;

        public string Path { get; } = path;

        public FileSystemStream Stream { get; } = stream;

        /// <summary>Bytes appended so far: where the next fragment goes.</summary>
        public long Length { get; set; }

        /// <summary>Fragments in the file still held.</summary>
        public int Live { get; set; }
    }
}
