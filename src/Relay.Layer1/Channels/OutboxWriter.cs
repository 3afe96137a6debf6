using System.Buffers;
using Relay.Layer1.Diagnostics;
using Relay.Layer1.Format;

namespace Relay.Layer1.Channels;

/// <summary>
/// Writes a channel's files into the outbox (temporary name, then rename) and deletes its own files
/// once they are worthless: data files when the cumulative ack covers them, ack-only files when a
/// newer one supersedes them.
/// </summary>
internal sealed class OutboxWriter(NodeContext context, string peer, ChannelCounters counters)
{
    private readonly string _channelName = $"{context.NodeId}>{peer}";
    private readonly object _gate = new();
    private readonly PriorityQueue<string, long> _ownDataFiles = new();
    private string? _lastAckOnlyFile;
    private long _acknowledgedThrough;

    /// <summary>
    /// Writes the file and returns its buffer to the pool; false when the folder refused it (a full
    /// disk, a failed rename), in which case nothing is left under either name and its fragments
    /// count as sent: the resend timer brings them back once the folder recovers.
    /// </summary>
    public bool Write(OutgoingFile file, long lamportTime)
    {
        try
        {
            return WriteBody(file.Body.AsSpan(0, file.BodyLength), file.Fragments.Count, file.Fragments.Count == 0 ? 0 : file.MaxSequence, lamportTime, deleteWhenAcknowledged: true) is not null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(file.Body);
        }
    }

    /// <summary>
    /// Seals one body into a file of its own name and writes it; returns the name, or null when the
    /// folder refused it. Files written with <paramref name="deleteWhenAcknowledged"/> false are
    /// never deleted by acks (a send-only channel gets none).
    /// </summary>
    public string? WriteBody(ReadOnlySpan<byte> body, int fragmentCount, long maxSequence, long lamportTime, bool deleteWhenAcknowledged)
    {
        var fileSystem = context.FileSystem;
        var outbox = context.Options.Outbox;
        var name = SegmentFileName.Create(context.NodeId, peer, context.NextFileNumber());
        var temporaryPath = fileSystem.Path.Combine(outbox, SegmentFileName.TemporaryNameFor(name));
        try
        {
            var manifest = new SegmentManifest
            {
                Version = SegmentCodec.ProtocolVersion,
                Sender = context.NodeId,
                Recipient = peer,
                Channel = _channelName,
                FileName = name,
                CreatedAt = context.Time.GetUtcNow(),
                LamportTime = lamportTime,
                BodyLength = body.Length,
            };
            long fileLength;
            using (var stream = fileSystem.FileStream.New(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                context.Codec.Write(stream, manifest, body);
                fileLength = stream.Length;
            }

            fileSystem.File.Move(temporaryPath, fileSystem.Path.Combine(outbox, name), overwrite: true);
            Interlocked.Increment(ref counters.FilesWritten);
            Interlocked.Exchange(ref counters.LastFileWrittenUnixMs, context.Time.GetUtcNow().ToUnixTimeMilliseconds());
            Interlocked.Add(ref counters.BodyBytesWritten, body.Length);
            Interlocked.Add(ref counters.FileBytesWritten, fileLength);
            context.Metrics.FileWritten(peer, body.Length);
            Layer1Log.FileWritten(context.Logger, name, fragmentCount, body.Length);
            if (deleteWhenAcknowledged)
            {
                Remember(name, maxSequence);
            }

            return name;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.FileWriteFailed(context.Logger, exception, name, peer);
            counters.WriteFailed(exception.Message, context.Time.GetUtcNow());
            TryDelete(temporaryPath);
            return null;
        }
    }

    /// <summary>Deletes every own data file whose highest fragment the cumulative ack covers.</summary>
    public void DeleteAcknowledged(long cumulative)
    {
        while (true)
        {
            string name;
            lock (_gate)
            {
                _acknowledgedThrough = Math.Max(_acknowledgedThrough, cumulative);
                if (!_ownDataFiles.TryPeek(out name!, out var maxSequence) || maxSequence > cumulative)
                {
                    return;
                }

                _ownDataFiles.Dequeue();
            }

            TryDelete(context.FileSystem.Path.Combine(context.Options.Outbox, name));
        }
    }

    private void Remember(string name, long maxSequence)
    {
        string? superseded = null;
        lock (_gate)
        {
            if (maxSequence == 0)
            {
                // Acks are state: a newer ack-only file makes the previous one worthless.
                superseded = _lastAckOnlyFile;
                _lastAckOnlyFile = name;
            }
            else if (maxSequence <= _acknowledgedThrough)
            {
                // Acknowledged while it was being written.
                superseded = name;
            }
            else
            {
                _ownDataFiles.Enqueue(name, maxSequence);
            }
        }

        if (superseded is not null)
        {
            TryDelete(context.FileSystem.Path.Combine(context.Options.Outbox, superseded));
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            context.FileSystem.File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Layer1Log.FileDeleteFailed(context.Logger, exception, path);
        }
    }
}
