using System.IO.Abstractions;
using Microsoft.Data.Sqlite;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.State;
using Relay.Layer1.State;

namespace Relay.HttpProxy.Async;

/// <summary>
/// The entry node's record of requests answered 202 (in the node's state directory): their state,
/// the response head once it came, and their callbacks. Response bodies live beside it, one file
/// per request.
/// </summary>
internal sealed class AsyncRequestStore : IAsyncDisposable
{
    public const string FileName = "relay-async.db";

    private const string Columns = "id, peer, mode, callback_url, state, status, head, declared_length, created, completed, callback_state, callback_attempts, accepted";

    private readonly GroupCommitDatabase _database;

    private AsyncRequestStore(GroupCommitDatabase database, KeptResponseFiles bodies)
    {
        _database = database;
        Bodies = bodies;
    }

    /// <summary>Where the response bodies are kept.</summary>
    public KeptResponseFiles Bodies { get; }

    /// <summary>Opens the record (SQLite, on the real disk) and the body folder beside it (on <paramref name="fileSystem"/>).</summary>
    public static AsyncRequestStore Open(string stateDirectory, IFileSystem fileSystem)
    {
        OwnerOnlyFiles.CreateDatabaseDirectory(stateDirectory);
        var bodies = new KeptResponseFiles(fileSystem, fileSystem.Path.Combine(stateDirectory, "async"));
        var database = GroupCommitDatabase.Open(Path.Combine(stateDirectory, FileName), """
            CREATE TABLE IF NOT EXISTS async_request (
                id BLOB PRIMARY KEY, peer TEXT NOT NULL, mode INTEGER NOT NULL, callback_url TEXT, state INTEGER NOT NULL,
                status INTEGER, head BLOB, declared_length INTEGER, created INTEGER NOT NULL, completed INTEGER,
                callback_state INTEGER NOT NULL, callback_attempts INTEGER NOT NULL DEFAULT 0, accepted INTEGER NOT NULL DEFAULT 0);
            """);
        return new AsyncRequestStore(database, bodies);
    }

    public Task InsertAsync(Guid id, string peer, AsyncMode mode, string? callbackUrl, DateTimeOffset now) =>
        Execute(
            "INSERT INTO async_request (id, peer, mode, callback_url, state, created, callback_state) VALUES ($id, $peer, $mode, $url, $state, $now, $callback)",
            ("$id", id.ToByteArray()),
            ("$peer", peer),
            ("$mode", (int)mode),
            ("$url", callbackUrl),
            ("$state", (int)AsyncState.Pending),
            ("$now", now.ToUnixTimeMilliseconds()),
            ("$callback", (int)(mode == AsyncMode.Callback ? CallbackState.Pending : CallbackState.None)));

    /// <summary>The whole request has gone: from now on the caller is told 202 and the response is owed to it.</summary>
    public Task AcceptedAsync(Guid id) =>
        Execute("UPDATE async_request SET accepted = 1 WHERE id = $id", ("$id", id.ToByteArray()));

    public Task ReceivingAsync(Guid id, int status, byte[] head) =>
        Execute(
            "UPDATE async_request SET state = $state, status = $status, head = $head WHERE id = $id AND state <= $state",
            ("$state", (int)AsyncState.Receiving),
            ("$status", status),
            ("$head", head),
            ("$id", id.ToByteArray()));

    public Task CompleteAsync(Guid id, long declaredLength, DateTimeOffset now) =>
        Execute(
            "UPDATE async_request SET state = $state, declared_length = $length, completed = $now WHERE id = $id AND state < $state",
            ("$state", (int)AsyncState.Complete),
            ("$length", declaredLength),
            ("$now", now.ToUnixTimeMilliseconds()),
            ("$id", id.ToByteArray()));

    /// <summary>Keeps a problem (its JSON in place of a head) as the answer; a request already complete keeps its response.</summary>
    public Task FailAsync(Guid id, int status, byte[] problemJson, DateTimeOffset now) =>
        Execute(
            "UPDATE async_request SET state = $state, status = $status, head = $head, completed = $now WHERE id = $id AND state < $complete",
            ("$state", (int)AsyncState.Failed),
            ("$status", status),
            ("$head", problemJson),
            ("$now", now.ToUnixTimeMilliseconds()),
            ("$id", id.ToByteArray()),
            ("$complete", (int)AsyncState.Complete));

    public Task CallbackAttemptedAsync(Guid id, int attempts) =>
        Execute("UPDATE async_request SET callback_attempts = $attempts WHERE id = $id", ("$attempts", attempts), ("$id", id.ToByteArray()));

    public Task CallbackEndedAsync(Guid id, CallbackState state) =>
        Execute("UPDATE async_request SET callback_state = $state WHERE id = $id", ("$state", (int)state), ("$id", id.ToByteArray()));

    public Task<AsyncRequest?> FindAsync(Guid id) =>
        _database.RunAsync(database =>
        {
            using var command = database.Command($"SELECT {Columns} FROM async_request WHERE id = $id", ("$id", id.ToByteArray()));
            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(reader) : null;
        });

    /// <summary>Requests still waiting for their response, or whose callback is not yet delivered.</summary>
    public Task<List<AsyncRequest>> ReadOpenAsync() =>
        _database.RunAsync(database =>
        {
            using var command = database.Command(
                $"SELECT {Columns} FROM async_request WHERE state < $complete OR callback_state = $pending ORDER BY created",
                ("$complete", (int)AsyncState.Complete),
                ("$pending", (int)CallbackState.Pending));
            using var reader = command.ExecuteReader();
            var open = new List<AsyncRequest>();
            while (reader.Read())
            {
                open.Add(Read(reader));
            }

            return open;
        });

    /// <summary>Answered requests completed before <paramref name="before"/> whose callbacks are settled: theirs can be forgotten.</summary>
    public Task<List<Guid>> ExpiredAsync(DateTimeOffset before) =>
        _database.RunAsync(database =>
        {
            using var select = database.Command(
                "SELECT id FROM async_request WHERE state >= $complete AND completed < $before AND callback_state <> $pending",
                ("$complete", (int)AsyncState.Complete),
                ("$before", before.ToUnixTimeMilliseconds()),
                ("$pending", (int)CallbackState.Pending));
            using var reader = select.ExecuteReader();
            var ids = new List<Guid>();
            while (reader.Read())
            {
                ids.Add(new Guid((byte[])reader.GetValue(0)));
            }

            return ids;
        });

    /// <summary>Forgets requests (their kept files already deleted).</summary>
    public Task ForgetAsync(IReadOnlyCollection<Guid> ids) =>
        ids.Count == 0 ? Task.CompletedTask : _database.RunAsync(database =>
        {
            foreach (var id in ids)
            {
                using var delete = database.Command("DELETE FROM async_request WHERE id = $id", ("$id", id.ToByteArray()));
                delete.ExecuteNonQuery();
            }

            return ids.Count;
        });

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    private static AsyncRequest Read(SqliteDataReader reader) =>
        new(
            new Guid((byte[])reader.GetValue(0)),
            reader.GetString(1),
            (AsyncMode)reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            (AsyncState)reader.GetInt32(4),
            reader.IsDBNull(5) ? null : reader.GetInt32(5),
            reader.IsDBNull(6) ? null : (byte[])reader.GetValue(6),
            (AsyncState)reader.GetInt32(4) != AsyncState.Failed && !reader.IsDBNull(6) && FramePayloads.TryDecode<ResponseHead>((byte[])reader.GetValue(6), out var head) ? head : null,
            reader.IsDBNull(7) ? null : reader.GetInt64(7),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
            reader.IsDBNull(9) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
            (CallbackState)reader.GetInt32(10),
            reader.GetInt32(11),
            reader.GetInt64(12) != 0);

    private Task<int> Execute(string sql, params (string, object?)[] parameters) =>
        _database.RunAsync(database =>
        {
            using var command = database.Command(sql, parameters);
            return command.ExecuteNonQuery();
        });
}
