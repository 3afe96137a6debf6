using System.IO.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Relay.Layer1.Exchange;
using Relay.Layer1.Format;

namespace Relay.Layer1.Faults;

/// <summary>
/// Moves files from one folder to another the way an unreliable transfer link does: it loses,
/// duplicates, truncates, corrupts, delays (so reorders) and replays them, by a seeded plan.
/// Operators rehearse a link with it before trusting the real one; tests put it between nodes.
/// Like a mirror it takes each final-named file once (temporary names are left alone), deletes
/// it from the source, and writes each copy under a temporary name before renaming it into place.
/// Copies still waiting for their delay when the pipe stops are dropped, as a link would lose them.
/// <para>
/// With a link model it also behaves like a scheduled mirror: it takes files only at each sweep,
/// sends them one after another at the configured rate (a file queues behind the ones before it),
/// delivers each after the fixed latency, and cuts files over the size limit. While the copies in
/// flight fill <see cref="FaultProfile.MaxHeldBytes"/>, files wait in the source folder, as they
/// would for a real link. All timing follows the given <see cref="TimeProvider"/>.
/// </para>
/// </summary>
public sealed class FaultInjectingFolderPipe : IAsyncDisposable
{
    private readonly IFileSystem _fileSystem;
    private readonly string _source;
    private readonly string _destination;
    private readonly FaultProfile _profile;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly InboxWatcher _watcher;
    private readonly Random _random;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, bool> _delayed = new();
    private readonly SemaphoreSlim _released = new(0);
    private readonly SemaphoreSlim _sweeps = new(0);
    private ITimer? _sweepTimer;
    private long _heldBytes;
    private int _started;
    private int _sweepsDone;
    private DateTimeOffset _linkFreeAt;

    public FaultInjectingFolderPipe(
        IFileSystem fileSystem,
        string sourceDirectory,
        string destinationDirectory,
        FaultProfile profile,
        ILogger<FaultInjectingFolderPipe>? logger = null,
        TimeProvider? timeProvider = null,
        TimeSpan? pollInterval = null)
        : this(fileSystem, sourceDirectory, destinationDirectory, profile, logger, timeProvider, pollInterval, useWatcher: true)
    {
    }

    internal FaultInjectingFolderPipe(
        IFileSystem fileSystem,
        string sourceDirectory,
        string destinationDirectory,
        FaultProfile profile,
        ILogger<FaultInjectingFolderPipe>? logger,
        TimeProvider? timeProvider,
        TimeSpan? pollInterval,
        bool useWatcher)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentNullException.ThrowIfNull(profile);
        profile.Validate();
        _fileSystem = fileSystem;
        _source = sourceDirectory;
        _destination = destinationDirectory;
        _profile = profile;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _random = new Random(profile.Seed);
        _watcher = new InboxWatcher(fileSystem, sourceDirectory, static _ => true, pollInterval ?? TimeSpan.FromMilliseconds(250), _logger, useWatcher);
    }

    public FaultPipeCounters Counters { get; } = new();

    /// <summary>Begins moving files in the background.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The pipe is already started.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        _fileSystem.Directory.CreateDirectory(_source);
        _fileSystem.Directory.CreateDirectory(_destination);
        FaultPipeLog.Started(_logger, _source, _destination, _profile);
        _linkFreeAt = _time.GetUtcNow();
        if (_profile.SweepEvery > TimeSpan.Zero)
        {
            // Sweeps keep their own schedule from the start, whether or not anything is waiting.
            _sweepTimer = _time.CreateTimer(static state => ((SemaphoreSlim)state!).Release(), _sweeps, _profile.SweepEvery, _profile.SweepEvery);
        }

        _watcher.Start();
        _loops.Add(_watcher.PollAsync(_stopping.Token));
        _loops.Add(Task.Run(() => MoveAsync(_stopping.Token), CancellationToken.None));
        return Task.CompletedTask;
    }

    /// <summary>Stops moving files; delayed copies not yet delivered are dropped.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _sweepTimer?.Dispose();
        _watcher.Dispose();
        await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);

        // Delayed copies see the cancellation and count themselves as dropped before the pipe reports.
        await Task.WhenAll(_delayed.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        FaultPipeLog.Stopped(_logger, _source, _destination, Counters);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _stopping.Dispose();
        _released.Dispose();
        _sweeps.Dispose();
    }

    /// <summary>Files found in the source folder and not yet dealt with (waiting for a sweep, or for room on the link).</summary>
    internal int WaitingFiles => _watcher.Pending;

    /// <summary>Sweeps done since start: each took what was waiting then.</summary>
    internal int SweepsDone => Volatile.Read(ref _sweepsDone);

    /// <summary>Copies taken and on their way, not yet delivered.</summary>
    internal int CopiesInFlight => _delayed.Count;

    private async Task MoveAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await NextRoundAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_watcher.Names.TryRead(out var name))
                {
                    await MoveOneAsync(name, cancellationToken).ConfigureAwait(false);
                    _watcher.Release(name);
                }

                if (_profile.SweepEvery > TimeSpan.Zero)
                {
                    Interlocked.Increment(ref _sweepsDone);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    // A mirror copies what is there when it sweeps, everything together; without sweeps each file goes as it appears.
    private async Task<bool> NextRoundAsync(CancellationToken cancellationToken)
    {
        if (_profile.SweepEvery <= TimeSpan.Zero)
        {
            return await _watcher.Names.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }

        await _sweeps.WaitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task MoveOneAsync(string name, CancellationToken cancellationToken)
    {
        var sourcePath = _fileSystem.Path.Combine(_source, name);
        byte[] original;
        try
        {
            original = _fileSystem.File.ReadAllBytes(sourcePath);
            _fileSystem.File.Delete(sourcePath);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            // Taken by someone else, or withdrawn by its writer.
            return;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Counters.AddError();
            FaultPipeLog.MoveFailed(_logger, exception, name);
            return;
        }

        Counters.AddSeen(original.Length);
        if (_profile.Blocked)
        {
            Counters.AddBlocked();
            FaultPipeLog.Decided(_logger, name, "blocked");
            return;
        }

        foreach (var (planned, randomDelay, fate) in Plan(original))
        {
            var bytes = CutToMaxSize(planned);
            FaultPipeLog.Decided(_logger, name, bytes.Length < planned.Length ? fate + ", cut to size" : fate);
            if (_profile.ModelsLink)
            {
                // A link that is full holds the next files back in the source folder.
                while (!TryHold(bytes.Length))
                {
                    await _released.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            else if (randomDelay <= TimeSpan.Zero || !TryHold(bytes.Length))
            {
                Deliver(name, bytes);
                continue;
            }

            var delay = randomDelay + Transmission(bytes.Length);
            var later = DeliverLaterAsync(name, bytes, delay, cancellationToken);
            _delayed.TryAdd(later, true);
            _ = later.ContinueWith(done => _delayed.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    // Draws every decision for one file, in a fixed order, from the seeded generator.
    private List<(byte[] Bytes, TimeSpan Delay, string Fate)> Plan(byte[] original)
    {
        var copies = new List<(byte[], TimeSpan, string)>();
        lock (_random)
        {
            if (Roll(_profile.Loss))
            {
                Counters.AddLost();
            }
            else
            {
                copies.Add(Damage(original, "delivered"));
                if (Roll(_profile.Duplicate))
                {
                    Counters.AddDuplicated();
                    copies.Add(Damage(original, "duplicate"));
                }
            }

            if (Roll(_profile.Replay))
            {
                Counters.AddReplayed();
                copies.Add(((byte[])original.Clone(), _profile.ReplayDelay + RandomDelay(), "replay"));
            }
        }

        return copies;
    }

    private (byte[] Bytes, TimeSpan Delay, string Fate) Damage(byte[] original, string fate)
    {
        var bytes = original;
        if (Roll(_profile.Truncate) && original.Length > 0)
        {
            bytes = original.AsSpan(0, _random.Next(original.Length)).ToArray();
            Counters.AddTruncated();
            fate += ", truncated";
        }

        if (Roll(_profile.Corrupt) && bytes.Length > 0)
        {
            bytes = ReferenceEquals(bytes, original) ? (byte[])original.Clone() : bytes;
            var flips = _random.Next(1, 9);
            for (var i = 0; i < flips; i++)
            {
                bytes[_random.Next(bytes.Length)] ^= (byte)(1 << _random.Next(8));
            }

            Counters.AddCorrupted();
            fate += ", corrupted";
        }

        return (bytes, RandomDelay(), fate);
    }

    private byte[] CutToMaxSize(byte[] bytes)
    {
        if (_profile.MaxFileBytes <= 0 || bytes.Length <= _profile.MaxFileBytes)
        {
            return bytes;
        }

        Counters.AddCut();
        return bytes.AsSpan(0, (int)_profile.MaxFileBytes).ToArray();
    }

    // Queues the copy behind those already on the link: it arrives once its last byte is through,
    // plus the fixed latency.
    private TimeSpan Transmission(long length)
    {
        var now = _time.GetUtcNow();
        var arrives = now;
        if (_profile.BandwidthBytesPerSecond > 0)
        {
            var start = _linkFreeAt > now ? _linkFreeAt : now;
            _linkFreeAt = start + TimeSpan.FromSeconds((double)length / _profile.BandwidthBytesPerSecond);
            arrives = _linkFreeAt;
        }

        return arrives - now + _profile.Latency;
    }

    private bool Roll(double probability) => probability > 0 && _random.NextDouble() < probability;

    private TimeSpan RandomDelay() => _profile.MaxDelay <= TimeSpan.Zero ? TimeSpan.Zero : _profile.MaxDelay * _random.NextDouble();

    private bool TryHold(long bytes)
    {
        // A file larger than the whole budget still goes, alone.
        var held = Interlocked.Add(ref _heldBytes, bytes);
        if (held <= _profile.MaxHeldBytes || held == bytes)
        {
            return true;
        }

        Interlocked.Add(ref _heldBytes, -bytes);
        return false;
    }

    private async Task DeliverLaterAsync(string name, byte[] bytes, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            Deliver(name, bytes);
        }
        catch (OperationCanceledException)
        {
            Counters.AddDropped();
        }
        finally
        {
            Interlocked.Add(ref _heldBytes, -bytes.Length);
            _released.Release();
        }
    }

    private void Deliver(string name, byte[] bytes)
    {
        var temporary = _fileSystem.Path.Combine(_destination, SegmentFileName.TemporaryNameFor(name) + "-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            _fileSystem.File.WriteAllBytes(temporary, bytes);
            _fileSystem.File.Move(temporary, _fileSystem.Path.Combine(_destination, name), overwrite: true);
            Counters.AddDelivered(bytes.Length);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Counters.AddError();
            FaultPipeLog.MoveFailed(_logger, exception, name);
            try
            {
                _fileSystem.File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                FaultPipeLog.MoveFailed(_logger, cleanup, temporary);
            }
        }
    }
}
