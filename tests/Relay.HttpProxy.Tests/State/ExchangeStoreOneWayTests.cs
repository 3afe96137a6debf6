using System.IO.Abstractions;
using Relay.HttpProxy.State;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.State;

/// <summary>Records of one-way requests stay after their call, with a caller key or without, until their own lifetime ends.</summary>
public sealed class ExchangeStoreOneWayTests : IDisposable
{
    private static readonly DateTimeOffset Completed = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static readonly string[] OneWayPeers = ["site-a"];

    [Fact]
    public async Task ARememberedRequest_IsKeptUntilTheOneWayCutoff_NotTheKeyCutoff()
    {
        await using var store = ExchangeStore.Open(new FileSystem(), _folder.Path);
        var remembered = await CompletedAsync(store, remember: true);
        var forgotten = await CompletedAsync(store, remember: false);

        // Kept responses expire here, one-way records not yet.
        await store.PurgeAsync(Completed.AddHours(1), Completed.AddHours(-1), OneWayPeers);

        Assert.False(await InsertAsync(store, remembered), "a remembered one-way request was forgotten with the kept responses");
        Assert.True(await InsertAsync(store, forgotten), "a request completed without being remembered was kept");

        await store.PurgeAsync(Completed.AddHours(-1), Completed.AddHours(1), OneWayPeers);

        Assert.True(await InsertAsync(store, remembered), "a one-way request outlived its lifetime");
    }

    [Fact]
    public async Task AKeyedOneWayRequest_IsFoundByItsKey_UntilTheOneWayCutoff_WhileATwoWayPeersKeyFollowsTheKeyCutoff()
    {
        await using var store = ExchangeStore.Open(new FileSystem(), _folder.Path);
        foreach (var peer in new[] { "site-a", "site-c" })
        {
            var id = Guid.NewGuid();
            Assert.True(await store.InsertAsync(new StoredExchange(peer, id, "POST", "http://callee/x", "\"k\"", null, null) { Scope = "scope" }, Completed));
            await store.CompleteAsync(peer, id, "\"k\"", 201, [1], false, Completed, remember: peer == "site-a");
        }

        // Past the key cutoff, before the one-way one.
        await store.PurgeAsync(Completed.AddHours(1), Completed.AddHours(-1), OneWayPeers);
        Assert.NotNull(await store.FindResponseAsync("site-a", "scope", "\"k\""));
        Assert.Null(await store.FindResponseAsync("site-c", "scope", "\"k\""));

        await store.PurgeAsync(Completed.AddHours(1), Completed.AddHours(1), OneWayPeers);
        Assert.Null(await store.FindResponseAsync("site-a", "scope", "\"k\""));
    }

    private static async Task<Guid> CompletedAsync(ExchangeStore store, bool remember)
    {
        var id = Guid.NewGuid();
        Assert.True(await InsertAsync(store, id));
        await store.CompleteAsync("site-a", id, null, 202, null, false, Completed, remember: remember);
        return id;
    }

    private static Task<bool> InsertAsync(ExchangeStore store, Guid id) =>
        store.InsertAsync(new StoredExchange("site-a", id, "POST", "http://callee/x", null, null, null), Completed);
}
