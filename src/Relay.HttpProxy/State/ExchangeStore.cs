using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Relay.HttpProxy.State;

/// <summary>
/// The exit node's durable record of requests (SQLite, WAL, in the node's state directory): a row
/// is committed before the callee is called and the request's message is marked handled, so after a
/// crash the node knows which calls may have reached the callee. Rows of requests that carried the
/// caller's <c>Idempotency-Key</c> stay after completion, with the response, for repeats. Writes from
/// many streams share transactions through one writer thread.
/// </summary>
internal sealed class ExchangeStore : IAsyncDisposable
{
    public const string FileName = "relay-http.db";

    private const int Dispatched = 1;
    private const int Completed = 2;

    private readonly SqliteConnection _connection;
    private readonly Channel<Operation> _operations = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private SqliteTransaction? _transaction;

    private ExchangeStore(SqliteConnection connection, string bodyDirectory)
    {
        _connection = connection;
        BodyDirectory = bodyDirectory;
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Where kept response bodies live, one file per stream.</summary>
    public string BodyDirectory { get; }

    public static ExchangeStore Open(string stateDirectory)
    {
        var bodies = Path.Combine(stateDirectory, "responses");
        Directory.CreateDirectory(bodies);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(stateDirectory, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ConnectionString);
        connection.Open();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = NORMAL;
                CREATE TABLE IF NOT EXISTS exchange (
                    peer TEXT NOT NULL, id BLOB NOT NULL, state INTEGER NOT NULL, method TEXT NOT NULL, target TEXT NOT NULL,
                    caller_key TEXT, retry_frame BLOB, status INTEGER, head BLOB, body_stored INTEGER NOT NULL DEFAULT 0,
                    created INTEGER NOT NULL, completed INTEGER,
                    PRIMARY KEY (peer, id));
                CREATE INDEX IF NOT EXISTS exchange_key ON exchange (peer, caller_key) WHERE caller_key IS NOT NULL;
                """;
            command.ExecuteNonQuery();
        }

        return new ExchangeStore(connection, bodies);
    }

    public string BodyPath(string peer, Guid streamId) => Path.Combine(BodyDirectory, $"{peer}-{streamId:N}.body");

    /// <summary>Records that the callee is about to be called; completes once committed, false when it was recorded before.</summary>
    public async Task<bool> InsertAsync(StoredExchange exchange, DateTimeOffset now) =>
        (bool)(await Run(connection =>
        {
            using var command = NewCommand(connection);
            command.CommandText = """
                INSERT OR IGNORE INTO exchange (peer, id, state, method, target, caller_key, retry_frame, created)
                VALUES ($peer, $id, $state, $method, $target, $key, $retry, $created)
                """;
            command.Parameters.AddWithValue("$peer", exchange.Peer);
            command.Parameters.AddWithValue("$id", exchange.StreamId.ToByteArray());
            command.Parameters.AddWithValue("$state", Dispatched);
            command.Parameters.AddWithValue("$method", exchange.Method);
            command.Parameters.AddWithValue("$target", exchange.Target);
            command.Parameters.AddWithValue("$key", (object?)exchange.CallerKey ?? DBNull.Value);
            command.Parameters.AddWithValue("$retry", (object?)exchange.RetryFrame ?? DBNull.Value);
            command.Parameters.AddWithValue("$created", now.ToUnixTimeMilliseconds());
            return command.ExecuteNonQuery() == 1;
        }).ConfigureAwait(false))!;

    /// <summary>Records the outcome. Without a caller key the row goes; with one it stays, with the response, for repeats.</summary>
    public Task CompleteAsync(string peer, Guid streamId, string? callerKey, int? status, byte[]? headJson, bool bodyStored, DateTimeOffset now) =>
        Run(connection =>
        {
            using var command = NewCommand(connection);
            if (callerKey is null)
            {
                command.CommandText = "DELETE FROM exchange WHERE peer = $peer AND id = $id";
            }
            else
            {
                command.CommandText = """
                    UPDATE exchange SET state = $state, status = $status, head = $head, body_stored = $stored, completed = $now, retry_frame = NULL
                    WHERE peer = $peer AND id = $id
                    """;
                command.Parameters.AddWithValue("$state", Completed);
                command.Parameters.AddWithValue("$status", (object?)status ?? DBNull.Value);
                command.Parameters.AddWithValue("$head", (object?)headJson ?? DBNull.Value);
                command.Parameters.AddWithValue("$stored", bodyStored ? 1 : 0);
                command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            }

            command.Parameters.AddWithValue("$peer", peer);
            command.Parameters.AddWithValue("$id", streamId.ToByteArray());
            command.ExecuteNonQuery();
            return null;
        });

    /// <summary>Whether a request was already recorded (its message is then a redelivery).</summary>
    public async Task<bool> ExistsAsync(string peer, Guid streamId) =>
        (bool)(await Run(connection =>
        {
            using var command = NewCommand(connection);
            command.CommandText = "SELECT 1 FROM exchange WHERE peer = $peer AND id = $id";
            command.Parameters.AddWithValue("$peer", peer);
            command.Parameters.AddWithValue("$id", streamId.ToByteArray());
            return command.ExecuteScalar() is not null;
        }).ConfigureAwait(false))!;

    /// <summary>The completed response for a caller key, or null.</summary>
    public async Task<StoredResponse?> FindResponseAsync(string peer, string callerKey) =>
        (StoredResponse?)await Run(connection =>
        {
            using var command = NewCommand(connection);
            command.CommandText = """
                SELECT id, method, target, status, head, body_stored FROM exchange
                WHERE peer = $peer AND caller_key = $key AND state = $state ORDER BY created DESC LIMIT 1
                """;
            command.Parameters.AddWithValue("$peer", peer);
            command.Parameters.AddWithValue("$key", callerKey);
            command.Parameters.AddWithValue("$state", Completed);
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new StoredResponse(
                    new Guid((byte[])reader.GetValue(0)),
                    reader.GetString(1),
                    reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4),
                    reader.GetInt64(5) != 0)
                : null;
        }).ConfigureAwait(false);

    /// <summary>Requests that were with the callee when the node stopped.</summary>
    public async Task<IReadOnlyList<StoredExchange>> ReadUnfinishedAsync() =>
        (IReadOnlyList<StoredExchange>)(await Run(connection =>
        {
            using var command = NewCommand(connection);
            command.CommandText = "SELECT peer, id, method, target, caller_key, retry_frame FROM exchange WHERE state = $state ORDER BY created";
            command.Parameters.AddWithValue("$state", Dispatched);
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
                    reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5)));
            }

            return unfinished;
        }).ConfigureAwait(false))!;

    /// <summary>Forgets kept responses completed before <paramref name="before"/>; returns their body files.</summary>
    public async Task<IReadOnlyList<string>> PurgeAsync(DateTimeOffset before) =>
        (IReadOnlyList<string>)(await Run(connection =>
        {
            var files = new List<string>();
            using (var select = NewCommand(connection))
            {
                select.CommandText = "SELECT peer, id FROM exchange WHERE state = $state AND completed < $before";
                select.Parameters.AddWithValue("$state", Completed);
                select.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    files.Add(BodyPath(reader.GetString(0), new Guid((byte[])reader.GetValue(1))));
                }
            }

            using var delete = NewCommand(connection);
            delete.CommandText = "DELETE FROM exchange WHERE state = $state AND completed < $before";
            delete.Parameters.AddWithValue("$state", Completed);
            delete.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
            delete.ExecuteNonQuery();
            return files;
        }).ConfigureAwait(false))!;

    public async ValueTask DisposeAsync()
    {
        _operations.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private Task<object?> Run(Func<SqliteConnection, object?> work)
    {
        var operation = new Operation(work, new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_operations.Writer.TryWrite(operation), this);

        return operation.Completion.Task;
    }

    private void WriteLoop()
    {
        var batch = new List<Operation>();
        var results = new List<object?>();
        while (_operations.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (batch.Count < 1000 && _operations.Reader.TryRead(out var operation))
            {
                batch.Add(operation);
            }

            try
            {
                using var transaction = _connection.BeginTransaction();
                _transaction = transaction;
                foreach (var operation in batch)
                {
                    try
                    {
                        results.Add(operation.Work(_connection));
                    }
                    catch (SqliteException exception)
                    {
                        results.Add(exception);
                    }
                }

                transaction.Commit();
                for (var i = 0; i < batch.Count; i++)
                {
                    if (results[i] is SqliteException failure)
                    {
                        batch[i].Completion.TrySetException(failure);
                    }
                    else
                    {
                        batch[i].Completion.TrySetResult(results[i]);
                    }
                }
            }
            catch (SqliteException exception)
            {
                batch.ForEach(operation => operation.Completion.TrySetException(exception));
            }

            _transaction = null;
            batch.Clear();
            results.Clear();
        }
    }

    private SqliteCommand NewCommand(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        command.Transaction = _transaction;
        return command;
    }

    private sealed record Operation(Func<SqliteConnection, object?> Work, TaskCompletionSource<object?> Completion);
}
