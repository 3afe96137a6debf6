using Microsoft.Extensions.Logging;
using Relay.Layer1.Diagnostics;

namespace Relay.Layer1.Loops;

/// <summary>
/// Runs a node's long-lived loops so that none can die silently: a loop that throws is logged,
/// reported as down, and started again after a delay that doubles with each failure in a row.
/// Stopping ends every loop, including one waiting to restart.
/// </summary>
public sealed class LoopSupervisor
{
    private static readonly TimeSpan DefaultFirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stopping;
    private readonly TimeSpan _firstDelay;
    private readonly List<Supervised> _loops = [];

    /// <param name="logger">Where failures and restarts are logged.</param>
    /// <param name="time">The clock the restart delays run on.</param>
    /// <param name="stopping">Ends every loop; a loop's <see cref="OperationCanceledException"/> after it is not a failure.</param>
    /// <param name="firstDelay">The wait before the first restart; one second when null.</param>
    public LoopSupervisor(ILogger logger, TimeProvider time, CancellationToken stopping, TimeSpan? firstDelay = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        _logger = logger;
        _time = time;
        _stopping = stopping;
        _firstDelay = firstDelay ?? DefaultFirstDelay;
    }

    /// <summary>Runs an asynchronous loop on the thread pool; the task ends when the loop returns or stopping is requested, never faulted.</summary>
    public Task Start(string name, Func<CancellationToken, Task> loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var supervised = Add(name);
        return Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    await loop(_stopping).ConfigureAwait(false);
                    return;
                }
                catch (Exception exception) when (!IsStop(exception))
                {
                    if (!await WaitToRestartAsync(supervised, exception).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                catch (Exception)
                {
                    return;
                }
            }
        });
    }

    /// <summary>
    /// Runs a blocking loop on a thread of its own (it decrypts, encrypts or does file IO synchronously
    /// and must not starve the thread pool); the task ends as <see cref="Start"/>'s does.
    /// </summary>
    public Task StartOnOwnThread(string name, Action<CancellationToken> loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var supervised = Add(name);
        return Task.Factory.StartNew(
            () =>
            {
                while (true)
                {
                    try
                    {
                        loop(_stopping);
                        return;
                    }
                    catch (Exception exception) when (!IsStop(exception))
                    {
                        if (!WaitToRestartAsync(supervised, exception).GetAwaiter().GetResult())
                        {
                            return;
                        }
                    }
                    catch (Exception)
                    {
                        return;
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    /// <summary>Every loop started so far, in the order they were started.</summary>
    public IReadOnlyList<LoopState> Snapshot()
    {
        lock (_loops)
        {
            return [.. _loops.Select(loop => loop.State)];
        }
    }

    private Supervised Add(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var supervised = new Supervised(new LoopState(name, true, 0, null, null, null));
        lock (_loops)
        {
            _loops.Add(supervised);
        }

        return supervised;
    }

    private bool IsStop(Exception exception) => exception is OperationCanceledException && _stopping.IsCancellationRequested;

    // False once stopping is requested: the loop is not started again.
    private async Task<bool> WaitToRestartAsync(Supervised supervised, Exception exception)
    {
        var now = _time.GetUtcNow();
        var started = supervised.StartedAt;

        // A loop that ran a good while before failing starts over from the first delay.
        var inARow = started is { } at && now - at < MaxDelay ? supervised.InARow + 1 : 1;
        var delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, _firstDelay.Ticks << Math.Min(inARow - 1, 20)));
        lock (_loops)
        {
            supervised.InARow = inARow;
            var state = supervised.State;
            supervised.State = state with
            {
                IsRunning = false,
                Failures = state.Failures + 1,
                LastError = $"{exception.GetType().Name}: {exception.Message}",
                LastFailedAt = now,
                RestartsAt = now + delay,
            };
        }

        // The wait starts before the failure is told, so whoever reacts to the log sees the restart already scheduled.
        var waiting = Task.Delay(delay, _time, _stopping);
        Layer1Log.LoopFailed(_logger, exception, supervised.State.Name, delay.TotalSeconds);
        try
        {
            await waiting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        lock (_loops)
        {
            supervised.State = supervised.State with { IsRunning = true, RestartsAt = null };
            supervised.StartedAt = _time.GetUtcNow();
        }

        Layer1Log.LoopRestarted(_logger, supervised.State.Name, supervised.State.Failures);
        return true;
    }

    private sealed class Supervised(LoopState state)
    {
        public LoopState State { get; set; } = state;

        public DateTimeOffset? StartedAt { get; set; }

        public int InARow { get; set; }
    }
}
