using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Relay.Layer1.State;

namespace Relay.HttpProxy.State;

/// <summary>
/// A SQLite database (WAL, <c>synchronous=NORMAL</c>: a commit survives the process being killed)
/// whose work runs on one thread of its own, in transactions shared by everything queued meanwhile,
/// so many streams' writes cost one commit.
/// </summary>
internal sealed class GroupCommitDatabase : IAsyncDisposable
{
    private const int MaxBatch = 1000;

    private readonly SqliteConnection _connection;
    private readonly Channel<Operation> _operations = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private SqliteTransaction? _transaction;

    private GroupCommitDatabase(SqliteConnection connection)
    {
        _connection = connection;

        // Its own thread: SQLite calls block, and commits must not wait for a thread-pool thread.
        _writer = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Opens (or creates) the database and applies <paramref name="schema"/>.</summary>
    public static GroupCommitDatabase Open(string path, string schema)
    {
        OwnerOnlyFiles.PrepareDatabase(path);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ConnectionString);
        connection.Open();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; " + schema;
            command.ExecuteNonQuery();
        }

        return new GroupCommitDatabase(connection);
    }

    /// <summary>Runs <paramref name="work"/> on the writer thread; completes once its transaction has committed.</summary>
    public async Task<T> RunAsync<T>(Func<GroupCommitDatabase, T> work)
    {
        var operation = new Operation(database => work(database), new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_operations.Writer.TryWrite(operation), this);
        return (T)(await operation.Completion.Task.ConfigureAwait(false))!;
    }

    /// <summary>A command in the current transaction; only for use inside work given to <see cref="RunAsync{T}"/>.</summary>
    public SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    public async ValueTask DisposeAsync()
    {
        _operations.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private void WriteLoop()
    {
        var batch = new List<Operation>();
        var results = new List<object?>();
        while (_operations.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (batch.Count < MaxBatch && _operations.Reader.TryRead(out var operation))
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
                        results.Add(operation.Work(this));
                    }
                    catch (Exception exception)
                    {
                        // One operation's failure is its own: the writer thread and everybody else's work go on.
                        results.Add(new Failure(exception));
                    }
                }

                transaction.Commit();
                for (var i = 0; i < batch.Count; i++)
                {
                    if (results[i] is Failure failure)
                    {
                        batch[i].Completion.TrySetException(failure.Exception);
                    }
                    else
                    {
                        batch[i].Completion.TrySetResult(results[i]);
                    }
                }
            }
            catch (Exception exception)
            {
                batch.ForEach(operation => operation.Completion.TrySetException(exception));
            }

            _transaction = null;
            batch.Clear();
            results.Clear();
        }
    }

    private sealed record Failure(Exception Exception);

    private sealed record Operation(Func<GroupCommitDatabase, object?> Work, TaskCompletionSource<object?> Completion);
}
