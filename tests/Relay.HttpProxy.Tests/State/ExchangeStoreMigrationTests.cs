using System.IO.Abstractions;
using Microsoft.Data.Sqlite;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.State;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.State;

public sealed class ExchangeStoreMigrationTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task DatabaseOfTheJsonHeadFormat_IsReplaced_AndItsRowsAreNeverReplayed()
    {
        var path = Path.Combine(_folder.Path, ExchangeStore.FileName);
        await using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE exchange (
                    peer TEXT NOT NULL, id BLOB NOT NULL, state INTEGER NOT NULL, method TEXT NOT NULL, target TEXT NOT NULL,
                    caller_key TEXT, retry_frame BLOB, status INTEGER, head BLOB, body_stored INTEGER NOT NULL DEFAULT 0,
                    created INTEGER NOT NULL, completed INTEGER,
                    PRIMARY KEY (peer, id));
                CREATE INDEX exchange_key ON exchange (peer, caller_key) WHERE caller_key IS NOT NULL;
                INSERT INTO exchange (peer, id, state, method, target, caller_key, status, body_stored, created, completed)
                VALUES ('site-a', x'00112233445566778899aabbccddeeff', 2, 'POST', 'http://callee/x', '"k"', 200, 0, 1, 2);
                """;
            create.ExecuteNonQuery();
        }

        await using var store = ExchangeStore.Open(new FileSystem(), _folder.Path);

        Assert.Null(await store.FindResponseAsync("site-a", "any-scope", "\"k\""));
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        Assert.True(await store.InsertAsync(new StoredExchange("site-a", id, "POST", "http://callee/x", "\"k\"", null, null) { Scope = "scope-1" }, now));
        await store.CompleteAsync("site-a", id, "\"k\"", 201, FramePayloads.ToBytes(new ResponseHead(201, HeaderList.FromNamesAndValues(["ETag", "\"v1\""]), 0)), bodyStored: true, now, bodyHash: [9, 9]);

        var kept = await store.FindResponseAsync("site-a", "scope-1", "\"k\"");
        Assert.NotNull(kept);
        Assert.Equal(id, kept.StreamId);
        Assert.Equal(new byte[] { 9, 9 }, kept.RequestBodyHash);
        Assert.Equal(201, kept.Head!.Status);
        Assert.Equal(HeaderList.FromNamesAndValues(["ETag", "\"v1\""]), kept.Head.Headers);
        Assert.Null(await store.FindResponseAsync("site-a", "scope-2", "\"k\""));
    }

    [Fact]
    public async Task MigratedDatabase_OpensAgain()
    {
        await using (ExchangeStore.Open(new FileSystem(), _folder.Path))
        {
        }

        await using var again = ExchangeStore.Open(new FileSystem(), _folder.Path);
        Assert.Null(await again.FindResponseAsync("site-a", "scope", "\"k\""));
    }
}
