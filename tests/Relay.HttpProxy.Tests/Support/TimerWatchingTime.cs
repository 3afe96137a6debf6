using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports each timer created on it with its due time, so a
/// test can wait until code under test is waiting on the clock and then move the clock exactly as far.
/// </summary>
internal sealed class TimerWatchingTime : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public TimerWatchingTime()
        : base(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer created (waiting for it, up to 30 s).</summary>
    public async Task<TimeSpan> NextTimerAsync() =>
        await _created.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
}
