namespace Relay.Layer1.Channels;

/// <summary>Running totals for one peer, updated lock-free and read into <see cref="PeerStatus"/>.</summary>
internal sealed class ChannelCounters
{
    private readonly long[] _rejected = new long[Enum.GetValues<FileRejectReason>().Length];

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

    public void Reject(FileRejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);

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
