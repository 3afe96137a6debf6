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
    IReadOnlyList<int>? PeerSupportedVersions);
