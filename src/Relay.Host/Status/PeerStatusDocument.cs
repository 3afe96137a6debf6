namespace Relay.Host.Status;

/// <summary>One peer in <c>relay status</c> and <c>GET /relay/status</c>.</summary>
public sealed record PeerStatusDocument(
    string Peer,
    long Sent,
    long Acknowledged,
    int InFlight,
    long InFlightBytes,
    long Resent,
    long FilesWritten,
    long FileBytesWritten,
    long FilesReceived,
    long Received,
    long Delivered,
    long Handled,
    long DuplicatesDropped,
    IReadOnlyDictionary<string, long> RejectedFiles,
    DateTimeOffset? LastFileSeen,
    double? OldestUnacknowledgedSeconds,
    double SmoothedRoundTripMilliseconds,
    int CallerStreams,
    int CalleeStreams,
    long MalformedFrames,
    long UnsupportedVersionFrames,
    IReadOnlyList<int>? PeerSupportedVersions)
{
    /// <summary>The newest reject's detail per reason (for a bad signature or wrong recipient: the key ids seen and expected).</summary>
    public IReadOnlyDictionary<string, string> LastRejectDetails { get; init; } = new Dictionary<string, string>();

    /// <summary>Files to this peer that could not be written to the outbox.</summary>
    public long FileWritesFailed { get; init; }

    /// <summary>Seconds since the last file from this peer while callers wait on it; null when nothing waits or files keep coming.</summary>
    public double? SilentWhileWaitedOnSeconds { get; init; }

    /// <summary>HTTP over the link when it runs one way only; null when it runs both ways.</summary>
    public OneWayStatusDocument? OneWay { get; init; }
}
