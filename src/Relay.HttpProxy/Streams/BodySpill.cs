using System.IO.Abstractions;
using Relay.Layer1.State;

namespace Relay.HttpProxy.Streams;

/// <summary>
/// A file that holds, in arrival order, the pieces of a body that did not fit in memory: a one-way
/// body, whose sender cannot be asked to wait, or the part of a grown window a lagging reader has
/// not taken yet (<see cref="WaitingBodyFolder"/>).
/// One writer (the link's loop) appends; one reader (the body's) reads in the same order. The file
/// is deleted when the body is done with.
/// </summary>
internal sealed class BodySpill : IDisposable
{
    private readonly IFileSystem _fileSystem;
    private readonly string _path;
    private FileSystemStream? _writer;
    private FileSystemStream? _reader;
    private int _disposed;

    public BodySpill(IFileSystem fileSystem, string path)
    {
        _fileSystem = fileSystem;
        _path = path;
    }

    /// <summary>Appends one piece; it is readable once this returns.</summary>
    /// <exception cref="IOException">The disk would not take it.</exception>
    public void Append(ReadOnlySpan<byte> piece)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _writer ??= OwnerOnlyFiles.Create(_fileSystem, _path, FileMode.CreateNew, FileShare.Read | FileShare.Delete, bufferSize: 1);
        _writer.Write(piece);
        _writer.Flush();
    }

    /// <summary>Reads the next piece, of <paramref name="buffer"/>'s length, in the order they were appended.</summary>
    public async ValueTask ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _reader ??= _fileSystem.FileStream.New(
            _path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 1, Options = FileOptions.Asynchronous });
        await _reader.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _reader?.Dispose();
        var written = _writer is not null;
        _writer?.Dispose();
        if (!written)
        {
            return;
        }

        try
        {
            _fileSystem.File.Delete(_path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left for the node's next start, which empties the folder.
        }
    }
}
