using System.IO.Abstractions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;

namespace Relay.Layer1.Exchange;

/// <summary>
/// Finds final-named files in a folder: change events for speed, plus a periodic listing because
/// network mounts (SMB, NFS) deliver no events. Each name is queued once until its consumer calls
/// <see cref="Release"/>; temporary names are never queued.
/// </summary>
internal sealed class InboxWatcher : IDisposable
{
    private readonly IFileSystem _fileSystem;
    private readonly string _folder;
    private readonly Func<string, bool> _isWanted;
    private readonly TimeSpan _pollInterval;
    private readonly ILogger _logger;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly bool _useWatcher;
    private IFileSystemWatcher? _watcher;

    public InboxWatcher(IFileSystem fileSystem, string folder, Func<string, bool> isWanted, TimeSpan pollInterval, ILogger logger, bool useWatcher = true)
    {
        _useWatcher = useWatcher;
        _fileSystem = fileSystem;
        _folder = folder;
        _isWanted = isWanted;
        _pollInterval = pollInterval;
        _logger = logger;
    }

    public ChannelReader<string> Names => _queue.Reader;

    /// <summary>Called with every name found by a full listing of the folder.</summary>
    public Action<HashSet<string>>? Listed { get; set; }

    /// <summary>Starts watching for change events; <see cref="PollAsync"/> lists the folder.</summary>
    public void Start()
    {
        if (_useWatcher)
        {
            StartWatcher();
        }
    }

    private void StartWatcher()
    {
        try
        {
            var watcher = _fileSystem.FileSystemWatcher.New(_folder);
            watcher.NotifyFilter = NotifyFilters.FileName;
            watcher.InternalBufferSize = 64 * 1024;
            watcher.Created += (_, e) => Offer(e.Name);
            watcher.Renamed += (_, e) => Offer(e.Name);
            watcher.Error += (_, e) => Layer1Log.WatcherFailed(_logger, e.GetException(), _folder);
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception exception) when (exception is IOException or ArgumentException or NotSupportedException or NotImplementedException)
        {
            // A file system that cannot watch (a network mount, an in-memory one) is listed every poll interval instead.
            Layer1Log.WatcherFailed(_logger, exception, _folder);
        }
    }

    /// <summary>Lists the folder at once, so files already there are found, then every poll interval.</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_pollInterval);
        try
        {
            Scan();
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Scan();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Names queued and not yet released by the consumer.</summary>
    public int Pending
    {
        get
        {
            lock (_queued)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>The consumer is done with a name; a later event or listing may queue it again.</summary>
    public void Release(string name)
    {
        lock (_queued)
        {
            _queued.Remove(name);
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _queue.Writer.TryComplete();
    }

    private void Scan()
    {
        try
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var path in _fileSystem.Directory.EnumerateFiles(_folder))
            {
                names.Add(_fileSystem.Path.GetFileName(path));
            }

            // Listings come in no particular order; sorted, a channel's files come oldest first
            // (names carry a rising file number), so a newer ack is not read before an older one.
            foreach (var name in names.Order(StringComparer.Ordinal))
            {
                Offer(name);
            }

            Listed?.Invoke(names);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.WatcherFailed(_logger, exception, _folder);
        }
    }

    private void Offer(string? name)
    {
        if (string.IsNullOrEmpty(name) || SegmentFileName.IsTemporary(name) || !_isWanted(name))
        {
            return;
        }

        lock (_queued)
        {
            if (!_queued.Add(name))
            {
                return;
            }
        }

        _queue.Writer.TryWrite(name);
    }
}
