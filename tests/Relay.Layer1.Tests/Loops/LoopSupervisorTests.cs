using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Relay.Layer1.Loops;
using Relay.Layer1.Tests.Support;

namespace Relay.Layer1.Tests.Loops;

public sealed class LoopSupervisorTests : IDisposable
{
    // Layer1Log.LoopFailed and LoopRestarted.
    private const int Failed = 1003;
    private const int Restarted = 1004;

    private readonly FakeTimeProvider _time = new();
    private readonly EventRecordingLogger _logger = new();
    private readonly CancellationTokenSource _stopping = new();

    public void Dispose() => _stopping.Dispose();

    [Fact]
    public async Task FailingLoop_RestartsAfterDelaysThatDouble_UpToAMinute()
    {
        var supervisor = new LoopSupervisor(_logger, _time, _stopping.Token);
        var calls = 0;
        var loop = supervisor.Start("always failing", _ =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("broken");
        });

        var expected = new[] { 1, 2, 4, 8, 16, 32, 60, 60 };
        for (var i = 0; i < expected.Length; i++)
        {
            var message = await _logger.NextAsync(Failed);
            Assert.Contains($"restarts in {expected[i]} s", message, StringComparison.Ordinal);
            var state = Assert.Single(supervisor.Snapshot());
            Assert.False(state.IsRunning);
            Assert.Equal(i + 1, state.Failures);
            Assert.Equal("InvalidOperationException: broken", state.LastError);
            Assert.Equal(TimeSpan.FromSeconds(expected[i]), state.RestartsAt - state.LastFailedAt);

            // Not restarted a moment early.
            _time.Advance(TimeSpan.FromSeconds(expected[i]) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(i + 1, Volatile.Read(ref calls));
            _time.Advance(TimeSpan.FromMilliseconds(1));
            await _logger.NextAsync(Restarted);
        }

        await _stopping.CancelAsync();
        await loop;
        Assert.True(loop.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task LoopThatRanAWhileBeforeFailing_StartsOverFromTheFirstDelay()
    {
        var supervisor = new LoopSupervisor(_logger, _time, _stopping.Token, TimeSpan.FromSeconds(3));
        var calls = 0;
        var running = Channel.CreateUnbounded<int>();
        _ = supervisor.Start("sometimes failing", async cancellationToken =>
        {
            var call = Interlocked.Increment(ref calls);
            if (call == 3)
            {
                var wait = Task.Delay(TimeSpan.FromMinutes(5), _time, cancellationToken);
                running.Writer.TryWrite(call);
                await wait;
            }

            throw new IOException("call " + call);
        });

        Assert.Contains("restarts in 3 s", await _logger.NextAsync(Failed), StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Contains("restarts in 6 s", await _logger.NextAsync(Failed), StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromSeconds(6));
        await running.Reader.ReadAsync();
        Assert.True(Assert.Single(supervisor.Snapshot()).IsRunning);
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Contains("restarts in 3 s", await _logger.NextAsync(Failed), StringComparison.Ordinal);
        Assert.Equal(3, Assert.Single(supervisor.Snapshot()).Failures);
        await _stopping.CancelAsync();
    }

    [Fact]
    public async Task Stopping_EndsALoopWaitingToRestart_AndARunningOne_WithoutFault()
    {
        var supervisor = new LoopSupervisor(_logger, _time, _stopping.Token);
        var failing = supervisor.StartOnOwnThread("failing on its thread", _ => throw new InvalidOperationException("broken"));
        var waiting = supervisor.Start("waiting", cancellationToken => Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken));
        await _logger.NextAsync(Failed);

        await _stopping.CancelAsync();
        await Task.WhenAll(failing, waiting);

        Assert.True(failing.IsCompletedSuccessfully);
        Assert.True(waiting.IsCompletedSuccessfully);
        var states = supervisor.Snapshot();
        Assert.Equal(["failing on its thread", "waiting"], states.Select(s => s.Name));
        Assert.Equal([1, 0], states.Select(s => s.Failures));
    }

    [Fact]
    public async Task LoopOnItsOwnThread_IsRestarted_AndMayThenEnd()
    {
        var supervisor = new LoopSupervisor(_logger, _time, _stopping.Token);
        var calls = 0;
        var loop = supervisor.StartOnOwnThread("fails once", _ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new NotSupportedException("first call");
            }
        });

        await _logger.NextAsync(Failed);
        _time.Advance(TimeSpan.FromSeconds(1));
        await loop;

        Assert.Equal(2, calls);
        var state = Assert.Single(supervisor.Snapshot());
        Assert.True(state.IsRunning);
        Assert.Equal(1, state.Failures);
        Assert.Null(state.RestartsAt);
    }
}
