using System.Buffers;
using System.IO.Abstractions;
using Relay.HttpProxy.Streams;
using Relay.Layer1.State;

namespace Relay.HttpProxy.Exit;

/// <summary>Keeps a response body in a file for repeats of an idempotency key, up to a size limit.</summary>
internal sealed class ResponseFileTee : IBodyTee, IDisposable
{
    private readonly string _path;
    private readonly long _limit;
    private FileSystemStream? _file;
    private long _written;

    public ResponseFileTee(string path, long limit)
    {
        _path = path;
        _limit = limit;
        _file = OwnerOnlyFiles.Create(path, FileMode.Create, FileShare.None, bufferSize: 64 * 1024);
    }

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

        foreach (var segment in data)
        {
            _file.Write(segment.Span);
        }
    }

    /// <summary>Makes the kept body durable; false when it was not kept.</summary>
    public bool Commit()
    {
        if (_file is null)
        {
            return false;
        }

        _file.Flush(flushToDisk: false);
        _file.Dispose();
        _file = null;
        _written = -1;
        return true;
    }

    public void Abandon()
    {
        _file?.Dispose();
        _file = null;
        File.Delete(_path);
    }

    public void Dispose()
    {
        if (_written >= 0)
        {
            Abandon();
        }
    }
}
