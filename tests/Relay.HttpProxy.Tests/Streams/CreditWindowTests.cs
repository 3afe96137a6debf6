using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Tests.Streams;

public sealed class CreditWindowTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TakesWithinTheWindow_GoAtOnce_AndCountDown()
    {
        var window = new CreditWindow(100);

        await window.TakeAsync(60, CancellationToken.None);
        await window.TakeAsync(40, CancellationToken.None);

        Assert.Equal(0, window.Available);
    }

    [Fact]
    public async Task GrantBeyondAStreamWindow_GrowsIt()
    {
        var window = new CreditWindow(100, growsWithGrants: true);
        await window.TakeAsync(100, CancellationToken.None);

        window.Release(100);
        window.Release(150);

        Assert.Equal(250, window.Available);
        await window.TakeAsync(250, CancellationToken.None);
        Assert.Equal(0, window.Available);
    }

    [Fact]
    public async Task TakeThatDoesNotFit_WaitsUntilEnoughIsReleased()
    {
        var window = new CreditWindow(100);
        await window.TakeAsync(80, CancellationToken.None);

        var take = window.TakeAsync(50, CancellationToken.None).AsTask();
        Assert.False(take.IsCompleted);

        window.Release(20);
        Assert.False(take.IsCompleted, "40 available is not yet 50");

        window.Release(10);
        await take.WaitAsync(Wait);
        Assert.Equal(0, window.Available);
    }

    [Fact]
    public async Task ChunkLargerThanTheWindow_GoesAlone_OnceTheWindowIsWhollyFree()
    {
        var window = new CreditWindow(100);
        await window.TakeAsync(1, CancellationToken.None);

        var large = window.TakeAsync(250, CancellationToken.None).AsTask();
        Assert.False(large.IsCompleted);

        window.Release(1);
        await large.WaitAsync(Wait);
        Assert.Equal(-150, window.Available);
    }

    [Fact]
    public async Task Releases_NeverGrowTheWindowPastItsSize()
    {
        var window = new CreditWindow(100);
        await window.TakeAsync(10, CancellationToken.None);

        window.Release(1_000);

        Assert.Equal(100, window.Available);
    }

    [Fact]
    public async Task Failure_WakesWaiters_AndEveryLaterTakeThrowsIt()
    {
        var window = new CreditWindow(10);
        await window.TakeAsync(10, CancellationToken.None);
        var waiting = window.TakeAsync(5, CancellationToken.None).AsTask();
        var failure = new StreamResetException(ResetReason.CallerGone, "gone");

        window.Fail(failure);

        Assert.Same(failure, await Assert.ThrowsAsync<StreamResetException>(() => waiting.WaitAsync(Wait)));
        Assert.Same(failure, await Assert.ThrowsAsync<StreamResetException>(() => window.TakeAsync(1, CancellationToken.None).AsTask()));
    }

    [Fact]
    public async Task CancelledWait_EndsTheTake_WithoutTakingCredit()
    {
        var window = new CreditWindow(10);
        await window.TakeAsync(10, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = window.TakeAsync(5, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Wait));
        window.Release(10);
        Assert.Equal(10, window.Available);
    }
}
