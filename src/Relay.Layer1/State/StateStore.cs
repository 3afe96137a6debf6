using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Relay.Layer1.Channels;

namespace Relay.Layer1.State;

/// <summary>
/// The node's durable state in SQLite (WAL): outgoing fragments until acknowledged, what has been
/// handled of each incoming channel, and node-wide counters. Writes are queued and committed in
/// groups by one writer loop, so many concurrent senders share one transaction. With
/// <c>synchronous=NORMAL</c> a committed write survives the process being killed at any point
/// (it is in the WAL in the OS page cache); it can be lost only to a power failure.
/// </summary>
internal sealed class StateStore : IAsyncDisposable
{
    public const string FileName = "relay-state.db";

    /// <summary>The node's Lamport clock, saved with every send and handled mark so a restart never runs it backwards.</summary>
    public const string LamportKey = "lamport";

    /// <summary>Raised at every start so ack ids keep rising across restarts.</summary>
    public const string AckEpochKey = "ack_epoch";

    private readonly SqliteConnection _connection;
    private readonly Channel<StateWrite> _writes = Channel.CreateUnbounded<StateWrite>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writerLoop;
    private readonly SqliteCommand _insertOutbound;
    private readonly SqliteCommand _deleteOutbound;
    private readonly SqliteCommand _upsertChannel;
    private readonly SqliteCommand _upsertHandled;
    private readonly SqliteCommand _upsertNodeValue;
    private readonly SqliteCommand _setNodeValue;
    private readonly SqliteCommand[] _commands;

    private StateStore(SqliteConnection connection)
    {
        _connection = connection;
        _insertOutbound = Prepare(
            "INSERT OR REPLACE INTO outbound(peer, seq, flags, lamport, data, spool, spool_offset, length) VALUES ($peer, $seq, $flags, $lamport, $data, $spool, $offset, $length)",
            "$peer", "$seq", "$flags", "$lamport", "$data", "$spool", "$offset", "$length");
        _deleteOutbound = Prepare("DELETE FROM outbound WHERE peer = $peer AND seq <= $seq", "$peer", "$seq");
        _upsertChannel = Prepare(
            "INSERT INTO channel(peer, next_seq, handled) VALUES ($peer, $next, x'') ON CONFLICT(peer) DO UPDATE SET next_seq = max(next_seq, excluded.next_seq)",
            "$peer", "$next");
        _upsertHandled = Prepare(
            "INSERT INTO channel(peer, next_seq, handled) VALUES ($peer, 1, $handled) ON CONFLICT(peer) DO UPDATE SET handled = excluded.handled",
            "$peer", "$handled");
        _upsertNodeValue = Prepare(
            "INSERT INTO node_value(key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)",
            "$key", "$value");
        _setNodeValue = Prepare(
            "INSERT INTO node_value(key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            "$key", "$value");
        _commands = [_insertOutbound, _deleteOutbound, _upsertChannel, _upsertHandled, _upsertNodeValue, _setNodeValue];

        // Its own thread: SQLite calls block, and commits must not wait for a thread-pool thread.
        _writerLoop = Task.Factory.StartNew(WriteLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public static StateStore Open(string directory)
    {
        OwnerOnlyFiles.CreateDatabaseDirectory(directory);
        OwnerOnlyFiles.PrepareDatabase(Path.Combine(directory, FileName));
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        };
        var connection = new SqliteConnection(builder.ConnectionString);
        connection.Open();
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA busy_timeout = 5000;
            CREATE TABLE IF NOT EXISTS node_value (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS channel (peer TEXT PRIMARY KEY, next_seq INTEGER NOT NULL, handled BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS outbound (
                peer TEXT NOT NULL, seq INTEGER NOT NULL, flags INTEGER NOT NULL, lamport INTEGER NOT NULL,
                data BLOB, spool INTEGER, spool_offset INTEGER NOT NULL, length INTEGER NOT NULL,
                PRIMARY KEY (peer, seq));
            """);
        return new StateStore(connection);
    }

    public long ReadNodeValue(string key)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM node_value WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() is long value ? value : 0;
    }

    public PeerChannelState ReadPeer(string peer, MessageSpool spool)
    {
        long nextSequence = 1;
        var handled = new SequenceRangeSet();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT next_seq, handled FROM channel WHERE peer = $peer";
            command.Parameters.AddWithValue("$peer", peer);
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                nextSequence = reader.GetInt64(0);
                var blob = (byte[])reader.GetValue(1);
                if (blob.Length > 0)
                {
                    handled = SequenceRangeSet.Deserialize(blob);
                }
            }
        }

        var outbound = new List<StoredFragment>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, flags, lamport, data, spool, spool_offset, length FROM outbound WHERE peer = $peer ORDER BY seq";
            command.Parameters.AddWithValue("$peer", peer);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                long? spooled = reader.IsDBNull(4) ? null : reader.GetInt64(4);
                var offset = reader.GetInt64(5);
                // A spooled fragment's bytes stay in its spool file until a write needs them.
                var data = spooled is null ? (byte[])reader.GetValue(3) : [];
                outbound.Add(new StoredFragment(reader.GetInt64(0), (byte)reader.GetInt64(1), reader.GetInt64(2), data, spooled, offset, spooled is null ? -1 : reader.GetInt32(6)));
            }
        }

        spool.DeleteAllExcept(outbound.Where(f => f.SpoolFirstSequence.HasValue).Select(f => f.SpoolFirstSequence!.Value).ToHashSet());

        if (outbound.Count > 0)
        {
            nextSequence = Math.Max(nextSequence, outbound[^1].Sequence + 1);
        }

        return new PeerChannelState(nextSequence, handled, outbound);
    }

    /// <summary>Stores new outgoing fragments; completes once they are committed.</summary>
    public Task AppendOutboundAsync(string peer, IReadOnlyList<StoredFragment> fragments, long nextSequence, long lamportTime) =>
        Enqueue(store =>
        {
            var command = store._insertOutbound;
            foreach (var fragment in fragments)
            {
                command.Parameters[0].Value = peer;
                command.Parameters[1].Value = fragment.Sequence;
                command.Parameters[2].Value = (long)fragment.Flags;
                command.Parameters[3].Value = fragment.LamportTime;
                command.Parameters[4].Value = fragment.SpoolFirstSequence.HasValue ? DBNull.Value : fragment.Data;
                command.Parameters[5].Value = fragment.SpoolFirstSequence.HasValue ? fragment.SpoolFirstSequence.Value : DBNull.Value;
                command.Parameters[6].Value = fragment.SpoolOffset;
                command.Parameters[7].Value = fragment.DataLength;
                command.ExecuteNonQuery();
            }

            store._upsertChannel.Parameters[0].Value = peer;
            store._upsertChannel.Parameters[1].Value = nextSequence;
            store._upsertChannel.ExecuteNonQuery();
            store.RaiseNodeValue(LamportKey, lamportTime);
        });

    /// <summary>Forgets outgoing fragments the peer has handled.</summary>
    public Task DeleteOutboundAsync(string peer, long upToSequence) =>
        Enqueue(store =>
        {
            store._deleteOutbound.Parameters[0].Value = peer;
            store._deleteOutbound.Parameters[1].Value = upToSequence;
            store._deleteOutbound.ExecuteNonQuery();
        });

    /// <summary>Records what of the peer's channel has been handled; acks may say so only after this commits.</summary>
    public Task SaveHandledAsync(string peer, byte[] handled, long lamportTime) =>
        Enqueue(store =>
        {
            store._upsertHandled.Parameters[0].Value = peer;
            store._upsertHandled.Parameters[1].Value = handled;
            store._upsertHandled.ExecuteNonQuery();
            store.RaiseNodeValue(LamportKey, lamportTime);
        });

    /// <summary>Raises a monotonic node-wide value (never lowers it).</summary>
    public Task SaveNodeValueAsync(string key, long value) => Enqueue(store => store.RaiseNodeValue(key, value));

    /// <summary>Replaces a node-wide value, up or down (an estimate, not a counter).</summary>
    public Task SetNodeValueAsync(string key, long value) =>
        Enqueue(store =>
        {
            store._setNodeValue.Parameters[0].Value = key;
            store._setNodeValue.Parameters[1].Value = value;
            store._setNodeValue.ExecuteNonQuery();
        });

    /// <summary>The key of the round-trip estimate kept for a peer: <c>smoothed</c> or <c>variation</c>, in microseconds.</summary>
    public static string RoundTripKey(string peer, string part) => $"round_trip.{peer}.{part}_us";

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        foreach (var command in _commands)
        {
            command.Dispose();
        }

        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private void RaiseNodeValue(string key, long value)
    {
        _upsertNodeValue.Parameters[0].Value = key;
        _upsertNodeValue.Parameters[1].Value = value;
        _upsertNodeValue.ExecuteNonQuery();
    }

    private Task Enqueue(Action<StateStore> apply)
    {
        var write = new StateWrite(apply);
        if (!_writes.Writer.TryWrite(write))
        {
            return Task.FromException(new ObjectDisposedException(nameof(StateStore)));
        }

        return write.Completion.Task;
    }

    private void WriteLoop()
    {
        var batch = new List<StateWrite>();
        while (_writes.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < 4096 && _writes.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            try
            {
                using var transaction = _connection.BeginTransaction();
                foreach (var command in _commands)
                {
                    command.Transaction = transaction;
                }

                foreach (var write in batch)
                {
                    write.Apply(this);
                }

                transaction.Commit();
                foreach (var write in batch)
                {
                    write.Completion.TrySetResult();
                }
            }
            catch (Exception exception) when (exception is SqliteException or InvalidOperationException)
            {
                foreach (var write in batch)
                {
                    write.Completion.TrySetException(exception);
                }
            }
        }
    }

    private SqliteCommand Prepare(string sql, params string[] parameterNames)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
