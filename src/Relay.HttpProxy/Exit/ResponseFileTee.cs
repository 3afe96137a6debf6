using System.Buffers;
using System.IO.Abstractions;
using Relay.HttpProxy.Streams;
using Relay.Layer1.State;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// Keeps a response body in a file for repeats of an idempotency key, up to a size limit. Keeping is
/// second to answering: when the file cannot be written (a full disk, a write cut off) it is removed
/// and the response goes on to the caller whole, only not kept, so a repeat is told so rather than
/// given part of a body.
/// </summary>
internal sealed class ResponseFileTee : IBodyTee, IDisposable
{
    private readonly IFileSystem _fileSystem;
    private readonly string _path;
    private readonly long _limit;
    private FileSystemStream? _file;
    private long _written;
    private bool _committed;

    public ResponseFileTee(IFileSystem fileSystem, string path, long limit)
    {
        _fileSystem = fileSystem;
        _path = path;
        _limit = limit;
        try
        {
            _file = OwnerOnlyFiles.Create(fileSystem, path, FileMode.Create, FileShare.None, bufferSize: 64 * 1024);
        }
        catch (Exception exception) when (IsFileFailure(exception))
        {
            Failure = exception;
            Abandon();
        }
    }

    /// <summary>Why the body could not be kept, when writing it failed; null otherwise.</summary>
    public Exception? Failure { get; private set; }

    public void Append(ReadOnlySequence<byte> data)
    {
        if (_file is null)
        {
            return;
        }

        _written += data.Length;
        if (_written > _limit)
        {
            Abandon();
            return;
        }

        try
        {
            foreach (var segment in data)
            {
                _file.Write(segment.Span);
            }
        }
        catch (Exception exception) when (IsFileFailure(exception))
        {
            Failure = exception;
            Abandon();
        }
    }

    /// <summary>Makes the kept body durable; false when it was not kept (and no file is left).</summary>
    public bool Commit()
    {
        if (_file is null)
        {
            return false;
        }

        try
        {
            _file.Flush(flushToDisk: false);
            _file.Dispose();
        }
        catch (Exception exception) when (IsFileFailure(exception))
        {
            Failure = exception;
            Abandon();
            return false;
        }

        _file = null;
        _committed = true;
        return true;
    }

    /// <summary>Stops keeping the body and removes what was written.</summary>
    public void Abandon()
    {
        try
        {
            _file?.Dispose();
        }
        catch (Exception exception) when (IsFileFailure(exception))
        {
            // Buffered bytes that cannot be written are bytes of a file about to go.
        }

        _file = null;
        try
        {
            _fileSystem.File.Delete(_path);
        }
        catch (Exception exception) when (IsFileFailure(exception))
        {
            // Left behind, it is never read: only a committed body is answered from, and purging removes it later.
            Failure ??= exception;
        }
    }

    public void Dispose()
    {
        if (!_committed)
        {
            Abandon();
        }
    }

    private static bool IsFileFailure(Exception exception) => exception is IOException or UnauthorizedAccessException;
}
