using Relay.HttpProxy.Async;
using Relay.HttpProxy.Tests.Support;
using Relay.Tests.Shared;

namespace Relay.HttpProxy.Tests.Async;

/// <summary>
/// Purging expired responses from a disk that fails: a delete that throws is logged, its request
/// stays recorded and is tried again at the next purge (also one after a restart), and it stops
/// neither the files after it nor later purges. The record is SQLite on the real disk; the kept files
/// are in memory.
/// </summary>
public sealed class KeptResponsePurgeTests : IAsyncLifetime, IDisposable
{
    private const int PurgeFailedEvent = 2110;
    private const int FileBytes = 100;
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);
    private readonly TemporaryFolder _state = new();
    private readonly FaultyFileSystem _fileSystem = new();
    private readonly LogCapture _logs = new();
    private AsyncRequestStore _store = null!;

    public Task InitializeAsync()
    {
        _store = AsyncRequestStore.Open(_state.Path, _fileSystem);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose()
    {
        _logs.Dispose();
        _state.Dispose();
    }

    [Fact]
    public async Task DeleteThatThrows_TheOthersAreDeleted_AndTheNextPurgeAfterARestartDeletesIt()
    {
        var expired = new[] { await KeepAsync(Start), await KeepAsync(Start), await KeepAsync(Start) };
        var fresh = await KeepAsync(Start + TimeSpan.FromSeconds(90));
        var budget = new AsyncStorageBudget(10_000, 1_000);
        budget.Count(_store.Bodies.MeasureAll());
        var purge = new KeptResponsePurge(_store, budget, Lifetime, _logs.CreateLogger("purge"));
        _fileSystem.Affects = path => path == _store.Bodies.PathOf(expired[0]);
        _fileSystem.FailDeletes(1);

        var first = await purge.PurgeAsync(Start + TimeSpan.FromMinutes(2));

        Assert.Equal(1, _fileSystem.DeletesFailed);
        Assert.Equal((2, 1), first);
        Assert.NotNull(await _store.FindAsync(expired[0]));
        Assert.Null(await _store.FindAsync(expired[1]));
        Assert.True(_fileSystem.File.Exists(_store.Bodies.PathOf(expired[0])));
        Assert.False(_fileSystem.File.Exists(_store.Bodies.PathOf(expired[1])));
        Assert.False(_fileSystem.File.Exists(_store.Bodies.PathOf(expired[2])));
        Assert.True(_fileSystem.File.Exists(_store.Bodies.PathOf(fresh)), "a response not yet expired is kept");
        Assert.Equal(2 * FileBytes, budget.Used);
        Assert.Contains(_logs.Lines, line => line.EventId == PurgeFailedEvent);

        // A new purge knows only what the record says, as after a restart.
        var afterRestart = new KeptResponsePurge(_store, budget, Lifetime, _logs.CreateLogger("purge"));
        var second = await afterRestart.PurgeAsync(Start + TimeSpan.FromMinutes(3));

        Assert.Equal((2, 0), second);
        Assert.Empty(_fileSystem.Directory.EnumerateFiles(_store.Bodies.Directory));
        Assert.Equal(0, budget.Used);
        Assert.Null(await _store.FindAsync(expired[0]));
    }

    [Fact]
    public async Task RequestWithoutAFile_IsForgotten_AndGivesNothingBack()
    {
        var id = await KeepAsync(Start);
        _fileSystem.File.Delete(_store.Bodies.PathOf(id));
        var budget = new AsyncStorageBudget(10_000, 1_000);
        budget.Count(50);
        var purge = new KeptResponsePurge(_store, budget, Lifetime, _logs.CreateLogger("purge"));

        Assert.Equal((1, 0), await purge.PurgeAsync(Start + TimeSpan.FromMinutes(2)));

        Assert.Null(await _store.FindAsync(id));
        Assert.Equal(50, budget.Used);
    }

    // A polled request whose response of FileBytes was kept, complete at completedAt.
    private async Task<Guid> KeepAsync(DateTimeOffset completedAt)
    {
        var id = Guid.NewGuid();
        await _store.InsertAsync(id, "site-b", AsyncMode.Poll, null, completedAt);
        await _store.AcceptedAsync(id);
        _fileSystem.File.WriteAllBytes(_store.Bodies.PathOf(id), new byte[FileBytes]);
        await _store.CompleteAsync(id, FileBytes, completedAt);
        return id;
    }
}
