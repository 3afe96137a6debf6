namespace Relay.Layer1.Channels;

/// <summary>Running totals for one peer, updated lock-free and read into <see cref="PeerStatus"/>.</summary>
internal sealed class ChannelCounters
{
    private readonly long[] _rejected = new long[Enum.GetValues<FileRejectReason>().Length];
    private readonly RejectNote?[] _lastReject = new RejectNote?[Enum.GetValues<FileRejectReason>().Length];

    public long MessagesSent;
    public long MessagesAcknowledged;
    public long FragmentsResent;
    public long FilesWritten;
    public long BodyBytesWritten;
    public long FileBytesWritten;
    public long FilesReceived;
    public long FragmentsReceived;
    public long DuplicateFragments;
    public long MessagesDelivered;
    public long MessagesHandled;
    public long LastFileSeenUnixMs;
    public long FileWritesFailed;
    public long LastFileWrittenUnixMs;
    public long CopiesWritten;
    public long ParityFilesWritten;
    public long ParityRebuilds;
    public long DuplicateFiles;
    public long HeldWritesFailed;
    public long HeldReadsFailed;
    private FileWriteFailure? _lastWriteFailure;

    public FileWriteFailure? LastWriteFailure => Volatile.Read(ref _lastWriteFailure);

    public void WriteFailed(string detail, DateTimeOffset at)
    {
        Interlocked.Increment(ref FileWritesFailed);
        Volatile.Write(ref _lastWriteFailure, new FileWriteFailure(detail, at));
    }

    public void Reject(FileRejectReason reason, string? detail, DateTimeOffset at)
    {
        Interlocked.Increment(ref _rejected[(int)reason]);
        Volatile.Write(ref _lastReject[(int)reason], new RejectNote(detail ?? "", at));
    }

    /// <summary>The newest reject for each reason (for a bad signature: the key ids seen and expected).</summary>
    public IReadOnlyDictionary<FileRejectReason, RejectNote> LastRejects()
    {
        var result = new Dictionary<FileRejectReason, RejectNote>();
        for (var i = 0; i < _lastReject.Length; i++)
        {
            if (Volatile.Read(ref _lastReject[i]) is { } note)
            {
                result[(FileRejectReason)i] = note;
            }
        }

        return result;
    }

    public IReadOnlyDictionary<FileRejectReason, long> RejectedSnapshot()
    {
        var result = new Dictionary<FileRejectReason, long>();
        for (var i = 0; i < _rejected.Length; i++)
        {
            var count = Interlocked.Read(ref _rejected[i]);
            if (count > 0)
            {
                result[(FileRejectReason)i] = count;
            }
        }

        return result;
    }
}
