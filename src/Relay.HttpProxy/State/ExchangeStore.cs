using System.IO.Abstractions;
using Relay.HttpProxy.Protocol;
using Relay.Layer1.State;

namespace Relay.HttpProxy.State;

/// <summary>
/// The exit node's durable record of requests (in the node's state directory): a row is committed
/// before the callee is called and the request's message is marked handled, so after a crash the
/// node knows which calls may have reached the callee. Rows of requests that carried the caller's
/// <c>Idempotency-Key</c> stay after completion, with the response, for repeats.
/// </summary>
internal sealed class ExchangeStore : IAsyncDisposable
{
    public const string FileName = "relay-http.db";

    private const int Dispatched = 1;
    private const int Completed = 2;

    private const int SchemaVersion = 2;

    private const string Schema = """
        CREATE TABLE exchange (
            peer TEXT NOT NULL, id BLOB NOT NULL, state INTEGER NOT NULL, method TEXT NOT NULL, target TEXT NOT NULL,
            caller_key TEXT, scope TEXT, retry_head BLOB, retry_body BLOB, status INTEGER, head BLOB, body_stored INTEGER NOT NULL DEFAULT 0,
            body_hash BLOB, created INTEGER NOT NULL, completed INTEGER,
            PRIMARY KEY (peer, id));
        CREATE INDEX exchange_scoped_key ON exchange (peer, scope, caller_key) WHERE caller_key IS NOT NULL;
        """;

    private readonly GroupCommitDatabase _database;

    private ExchangeStore(GroupCommitDatabase database, IFileSystem fileSystem, string bodyDirectory)
    {
        _database = database;
        FileSystem = fileSystem;
        BodyDirectory = bodyDirectory;
    }

    /// <summary>Where kept response bodies are written and read; the database itself is on the real disk, where SQLite opens it.</summary>
    public IFileSystem FileSystem { get; }

    /// <summary>Where kept response bodies live, one file per stream.</summary>
    public string BodyDirectory { get; }

    public static ExchangeStore Open(IFileSystem fileSystem, string stateDirectory)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        var bodies = Path.Combine(stateDirectory, "responses");
        OwnerOnlyFiles.CreateDatabaseDirectory(stateDirectory);
        OwnerOnlyFiles.CreateDirectory(fileSystem, bodies);
        var database = GroupCommitDatabase.Open(Path.Combine(stateDirectory, FileName), "");
        var store = new ExchangeStore(database, fileSystem, bodies);
        store.MigrateAsync().GetAwaiter().GetResult();
        return store;
    }

    // Version 2 keeps heads as layer-2 frame version 2 MessagePack (it was JSON, and the whole head
    // frame for repeats). No node ran version 1 in production, so its rows are discarded, not
    // converted: a request with the callee at the upgrade is settled by its caller's deadline.
    private Task<int> MigrateAsync() =>
        _database.RunAsync(database =>
        {
            using (var version = database.Command("PRAGMA user_version"))
            {
                if (Convert.ToInt64(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) >= SchemaVersion)
                {
                    return 0;
                }
            }

            using var recreate = database.Command($"""
                DROP INDEX IF EXISTS exchange_key;
                DROP INDEX IF EXISTS exchange_scoped_key;
                DROP TABLE IF EXISTS exchange;
                {Schema}
                PRAGMA user_version = {SchemaVersion};
                """);
            return recreate.ExecuteNonQuery();
        });

    public string BodyPath(string peer, Guid streamId) => Path.Combine(BodyDirectory, $"{peer}-{streamId:N}.body");


    /// <summary>Records that the callee is about to be called; completes once committed, false when it was recorded before.</summary>
    public Task<bool> InsertAsync(StoredExchange exchange, DateTimeOffset now) =>
        _database.RunAsync(database =>
        {
            using var command = database.Command(
                """
                INSERT OR IGNORE INTO exchange (peer, id, state, method, target, caller_key, scope, retry_head, retry_body, created)
                VALUES ($peer, $id, $state, $method, $target, $key, $scope, $retryHead, $retryBody, $created)
                """,
                ("$peer", exchange.Peer),
                ("$id", exchange.StreamId.ToByteArray()),
                ("$state", Dispatched),
                ("$method", exchange.Method),
                ("$target", exchange.Target),
                ("$key", exchange.CallerKey),
                ("$scope", exchange.Scope),
                ("$retryHead", exchange.RetryHead),
                ("$retryBody", exchange.RetryBody),
                ("$created", now.ToUnixTimeMilliseconds()));
            return command.ExecuteNonQuery() == 1;
        });

    /// <summary>
    /// Records the outcome. Without a caller key the row goes, unless <paramref name="remember"/> keeps it
    /// (a one-way request: a copy arriving again must find it done); with a key it stays, with the
    /// response and the request body's hash, for repeats.
    /// </summary>
    public Task CompleteAsync(string peer, Guid streamId, string? callerKey, int? status, byte[]? head, bool bodyStored, DateTimeOffset now, byte[]? bodyHash = null, bool remember = false) =>
        _database.RunAsync(database =>
        {
            using var command = callerKey is null && !remember
                ? database.Command("DELETE FROM exchange WHERE peer = $peer AND id = $id", ("$peer", peer), ("$id", streamId.ToByteArray()))
                : database.Command(
                    """
                    UPDATE exchange SET state = $state, status = $status, head = $head, body_stored = $stored, completed = $now, body_hash = $hash, retry_head = NULL, retry_body = NULL
                    WHERE peer = $peer AND id = $id
                    """,
                    ("$state", Completed),
                    ("$status", status),
                    ("$head", head),
                    ("$stored", bodyStored ? 1 : 0),
                    ("$now", now.ToUnixTimeMilliseconds()),
                    ("$hash", bodyHash),
                    ("$peer", peer),
                    ("$id", streamId.ToByteArray()));
            return command.ExecuteNonQuery();
        });

    /// <summary>The completed response for a caller key in one caller's scope, or null.</summary>
    public Task<StoredResponse?> FindResponseAsync(string peer, string scope, string callerKey) =>
        _database.RunAsync(database =>
        {
            using var command = database.Command(
                """
                SELECT id, method, target, status, head, body_stored, body_hash FROM exchange
                WHERE peer = $peer AND scope = $scope AND caller_key = $key AND state = $state ORDER BY created DESC LIMIT 1
                """,
                ("$peer", peer),
                ("$scope", scope),
                ("$key", callerKey),
                ("$state", Completed));
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new StoredResponse(
                    new Guid((byte[])reader.GetValue(0)),
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetInt32(3),
                    !reader.IsDBNull(4) && FramePayloads.TryDecode<ResponseHead>((byte[])reader.GetValue(4), out var head) ? head : null,
                    reader.GetInt64(5) != 0,
                    reader.IsDBNull(6) ? null : (byte[])reader.GetValue(6))
                : null;
        });

    /// <summary>Requests that were with the callee when the node stopped.</summary>
    public Task<List<StoredExchange>> ReadUnfinishedAsync() =>
        _database.RunAsync(database =>
        {
            using var command = database.Command(
                "SELECT peer, id, method, target, caller_key, retry_head, retry_body, scope FROM exchange WHERE state = $state ORDER BY created", ("$state", Dispatched));
            using var reader = command.ExecuteReader();
            var unfinished = new List<StoredExchange>();
            while (reader.Read())
            {
                unfinished.Add(new StoredExchange(
                    reader.GetString(0),
                    new Guid((byte[])reader.GetValue(1)),
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5),
                    reader.IsDBNull(6) ? null : (byte[])reader.GetValue(6))
                {
                    Scope = reader.IsDBNull(7) ? null : reader.GetString(7),
                });
            }

            return unfinished;
        });

    /// <summary>
    /// Forgets exchanges completed before <paramref name="before"/> (kept responses), and those of
    /// <paramref name="oneWayPeers"/> (one-way requests, remembered against copies, with a caller key or
    /// without) completed before <paramref name="oneWayBefore"/>; returns their body files.
    /// </summary>
    public Task<List<string>> PurgeAsync(DateTimeOffset before, DateTimeOffset oneWayBefore, IReadOnlyCollection<string> oneWayPeers) =>
        _database.RunAsync(database =>
        {
            var files = new List<string>();
            var parameters = new List<(string, object?)>
            {
                ("$state", Completed),
                ("$before", before.ToUnixTimeMilliseconds()),
                ("$oneWayBefore", oneWayBefore.ToUnixTimeMilliseconds()),
            };
            var peers = oneWayPeers.Select((peer, i) => (Name: "$peer" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), Peer: peer)).ToList();
            parameters.AddRange(peers.Select(p => (p.Name, (object?)p.Peer)));
            var expired = peers.Count == 0
                ? "state = $state AND completed < $before"
                : $"state = $state AND completed < CASE WHEN peer IN ({string.Join(", ", peers.Select(p => p.Name))}) THEN $oneWayBefore ELSE $before END";
            using (var select = database.Command("SELECT peer, id FROM exchange WHERE " + expired, [.. parameters]))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    files.Add(BodyPath(reader.GetString(0), new Guid((byte[])reader.GetValue(1))));
                }
            }

            using var delete = database.Command("DELETE FROM exchange WHERE " + expired, [.. parameters]);
            delete.ExecuteNonQuery();
            return files;
        });

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
