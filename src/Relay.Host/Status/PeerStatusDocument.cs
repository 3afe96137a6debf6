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

    /// <summary>Which way files move between this node and the peer: Both, SendOnly or ReceiveOnly.</summary>
    public string Direction { get; init; } = "Both";

    /// <summary>Extra copies of data files written to a send-only peer, beyond the first of each.</summary>
    public long CopiesWritten { get; init; }

    /// <summary>Parity files written to a send-only peer.</summary>
    public long ParityFilesWritten { get; init; }

    /// <summary>Files from a one-way peer that brought nothing new (the copies it writes on purpose).</summary>
    public long DuplicateFiles { get; init; }

    /// <summary>Lost files from a one-way peer rebuilt from their group's parity file.</summary>
    public long ParityRebuilds { get; init; }

    /// <summary>How many bytes may be on the link to the peer now: cut when a queue builds on a slow link; null on a send-only link.</summary>
    public long? LinkWindowBytes { get; init; }

    /// <summary>Bytes written to the peer and not yet known to have arrived or been lost.</summary>
    public long BytesOnLink { get; init; }

    /// <summary>The lowest round trip seen in the last ten minutes: the link's delay without a queue.</summary>
    public double BaseRoundTripMilliseconds { get; init; }

    /// <summary>The highest sequence number held from the peer.</summary>
    public long HighestReceived { get; init; }

    /// <summary>Fragments missing from the peer below <see cref="HighestReceived"/>; <see cref="Gaps"/> lists the lowest ranges.</summary>
    public long MissingFragments { get; init; }

    /// <summary>Missing ranges, lowest first, each with when it opened; on a one-way link, <c>relay gaps</c> reports them to the sender.</summary>
    public IReadOnlyList<GapDocument> Gaps { get; init; } = [];

    /// <summary>Seconds since the last file from this peer while callers wait on it; null when nothing waits or files keep coming.</summary>
    public double? SilentWhileWaitedOnSeconds { get; init; }

    /// <summary>HTTP over the link when it runs one way only; null when it runs both ways.</summary>
    public OneWayStatusDocument? OneWay { get; init; }
}
