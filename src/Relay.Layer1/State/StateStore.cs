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
    private SqliteTransaction? _transaction;

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
        AddSentColumn(connection);
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
            // Rows a send-only channel keeps after writing them wait for a resend request, not in the window.
            command.CommandText = "SELECT seq, flags, lamport, data, spool, spool_offset, length FROM outbound WHERE peer = $peer AND sent_at IS NULL ORDER BY seq";
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

        var referenced = outbound.Where(f => f.SpoolFirstSequence.HasValue).Select(f => f.SpoolFirstSequence!.Value).ToHashSet();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT DISTINCT spool FROM outbound WHERE peer = $peer AND sent_at IS NOT NULL AND spool IS NOT NULL";
            command.Parameters.AddWithValue("$peer", peer);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                referenced.Add(reader.GetInt64(0));
            }
        }

        spool.DeleteAllExcept(referenced);

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

    /// <summary>
    /// Marks fragments of a send-only channel as written (every copy, and their group's parity): they
    /// stay for resend requests until <see cref="PurgeSentAsync"/> forgets them, and a restart does not write them again.
    /// </summary>
    public Task MarkSentAsync(string peer, IReadOnlyList<long> sequences, DateTimeOffset at) =>
        Enqueue(store =>
        {
            using var command = store.CreateTransactedCommand();
            command.CommandText = "UPDATE outbound SET sent_at = $at WHERE peer = $peer AND seq = $seq";
            var atParameter = command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$peer", peer);
            var sequence = command.Parameters.Add("$seq", SqliteType.Integer);
            foreach (var value in sequences)
            {
                sequence.Value = value;
                command.ExecuteNonQuery();
            }
        });

    /// <summary>
    /// Forgets fragments of a send-only channel written before <paramref name="before"/>; completes
    /// with how many rows went and the spool files no remaining row refers to (the caller deletes them).
    /// </summary>
    public Task<(int Forgotten, IReadOnlyList<long> UnreferencedSpools)> PurgeSentAsync(string peer, DateTimeOffset before)
    {
        var result = new TaskCompletionSource<(int, IReadOnlyList<long>)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var write = Enqueue(store =>
        {
            var spools = new HashSet<long>();
            int forgotten;
            using (var command = store.CreateTransactedCommand())
            {
                command.CommandText = "DELETE FROM outbound WHERE peer = $peer AND sent_at IS NOT NULL AND sent_at < $before RETURNING spool";
                command.Parameters.AddWithValue("$peer", peer);
                command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
                using var reader = command.ExecuteReader();
                forgotten = 0;
                while (reader.Read())
                {
                    forgotten++;
                    if (!reader.IsDBNull(0))
                    {
                        spools.Add(reader.GetInt64(0));
                    }
                }
            }

            using (var command = store.CreateTransactedCommand())
            {
                // A message whose later fragments were written later keeps its spool file until they go too.
                command.CommandText = "SELECT 1 FROM outbound WHERE peer = $peer AND spool = $spool LIMIT 1";
                command.Parameters.AddWithValue("$peer", peer);
                var spool = command.Parameters.Add("$spool", SqliteType.Integer);
                spools.RemoveWhere(first =>
                {
                    spool.Value = first;
                    return command.ExecuteScalar() is not null;
                });
            }

            result.TrySetResult((forgotten, spools.Order().ToList()));
        });
        write.ContinueWith(t => result.TrySetException(t.Exception!.InnerExceptions), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return result.Task;
    }

    /// <summary>Reads the kept fragments of a send-only channel within <paramref name="range"/>, data included, in sequence order.</summary>
    /// <exception cref="IOException">A spool file could not be read.</exception>
    public async Task<IReadOnlyList<StoredFragment>> ReadSentAsync(string peer, SequenceRange range, MessageSpool spool)
    {
        var rows = new List<StoredFragment>();
        await Enqueue(store =>
        {
            using var command = store.CreateTransactedCommand();
            command.CommandText = "SELECT seq, flags, lamport, data, spool, spool_offset, length FROM outbound WHERE peer = $peer AND sent_at IS NOT NULL AND seq BETWEEN $from AND $to ORDER BY seq";
            command.Parameters.AddWithValue("$peer", peer);
            command.Parameters.AddWithValue("$from", range.From);
            command.Parameters.AddWithValue("$to", range.To);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                long? spooled = reader.IsDBNull(4) ? null : reader.GetInt64(4);
                var data = spooled.HasValue ? [] : (byte[])reader.GetValue(3);
                rows.Add(new StoredFragment(reader.GetInt64(0), (byte)reader.GetInt64(1), reader.GetInt64(2), data, spooled, reader.GetInt64(5), reader.GetInt32(6)));
            }
        }).ConfigureAwait(false);

        // Spool files are read here, not on the writer's thread: a failing read must not fail other writes.
        return rows.Select(row => row.SpoolFirstSequence is { } first
            ? row with { Data = spool.Read(first, row.SpoolOffset, row.DataLength), Length = -1 }
            : row).ToList();
    }

    /// <summary>
    /// Which sequence numbers the store holds for <paramref name="peer"/> (kept after sending, or not
    /// yet sent), read without taking the node's lock, so it works while the node runs: SQLite in WAL
    /// mode lets a reader in beside the writer. Empty when there is no store yet.
    /// </summary>
    public static IReadOnlyList<SequenceRange> ReadStoredRanges(string directory, string peer)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return [];
        }

        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq FROM outbound WHERE peer = $peer ORDER BY seq";
        command.Parameters.AddWithValue("$peer", peer);
        using var reader = command.ExecuteReader();
        var ranges = new List<SequenceRange>();
        while (reader.Read())
        {
            var sequence = reader.GetInt64(0);
            if (ranges.Count > 0 && ranges[^1].To == sequence - 1)
            {
                ranges[^1] = new SequenceRange(ranges[^1].From, sequence);
            }
            else
            {
                ranges.Add(new SequenceRange(sequence, sequence));
            }
        }

        return ranges;
    }

    /// <summary>What of the peer's channel is handled, and the channel's next sequence number, read without taking the node's lock.</summary>
    public static (SequenceRangeSet Handled, long NextSequence) ReadChannelReadOnly(string directory, string peer)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return (new SequenceRangeSet(), 1);
        }

        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT next_seq, handled FROM channel WHERE peer = $peer";
        command.Parameters.AddWithValue("$peer", peer);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return (new SequenceRangeSet(), 1);
        }

        var blob = (byte[])reader.GetValue(1);
        return (blob.Length > 0 ? SequenceRangeSet.Deserialize(blob) : new SequenceRangeSet(), reader.GetInt64(0));
    }

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
                _transaction = transaction;
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

    // Stores made before send-only channels existed lack the column; every row in them is unsent.
    private static void AddSentColumn(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM pragma_table_info('outbound') WHERE name = 'sent_at'";
        if (command.ExecuteScalar() is null)
        {
            Execute(connection, "ALTER TABLE outbound ADD COLUMN sent_at INTEGER");
        }
    }

    // For writes that run once in a while: inside the writer loop's current transaction.
    private SqliteCommand CreateTransactedCommand()
    {
        var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        return command;
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
