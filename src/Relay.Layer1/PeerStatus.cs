namespace Relay.Layer1;

/// <summary>A snapshot of the two channels between this node and one peer.</summary>
public sealed record PeerStatus
{
    public required string Peer { get; init; }

    /// <summary>Messages queued for the peer since this node started.</summary>
    public required long Sent { get; init; }

    /// <summary>Messages the peer reported handled since this node started; to a send-only peer, which reports nothing, messages written out (every copy and their parity).</summary>
    public required long Acknowledged { get; init; }

    /// <summary>The sequence number of the last fragment queued for the peer, across restarts (0 when none ever was).</summary>
    public required long QueuedThrough { get; init; }

    /// <summary>Fragments sent (or queued) and not yet acknowledged, including any from before a restart.</summary>
    public required int InFlight { get; init; }

    public required long InFlightBytes { get; init; }

    /// <summary>Fragments written again after their resend timeout (on a send-only peer: on an operator's resend request).</summary>
    public required long Resent { get; init; }

    /// <summary>Which way files move between this node and the peer.</summary>
    public PeerDirection Direction { get; init; }

    /// <summary>Extra copies of data files written to a send-only peer (beyond the first of each).</summary>
    public long CopiesWritten { get; init; }

    /// <summary>Parity files written to a send-only peer.</summary>
    public long ParityFilesWritten { get; init; }

    /// <summary>Files from a one-way peer that brought nothing new: the copies its redundancy writes (not counted as rejects).</summary>
    public long DuplicateFiles { get; init; }

    /// <summary>Files from a one-way peer that never arrived and were rebuilt from their group's parity file.</summary>
    public long ParityRebuilds { get; init; }

    public required long FilesWritten { get; init; }

    /// <summary>Bytes of the files written (envelope, framing and encryption included).</summary>
    public required long FileBytesWritten { get; init; }

    public required long FilesReceived { get; init; }

    /// <summary>New fragments taken from the peer's files (duplicates excluded).</summary>
    public required long Received { get; init; }

    public required long DuplicatesDropped { get; init; }

    /// <summary>Messages handed to the application in order.</summary>
    public required long Delivered { get; init; }

    public required long Handled { get; init; }

    /// <summary>Every message from the peer up to this sequence number is handled, durably.</summary>
    public required long HandledThrough { get; init; }

    /// <summary>Fragments from the peer held, in memory or on disk: out of order, or waiting for the rest of their message.</summary>
    public required long HeldFragments { get; init; }

    /// <summary>Bytes from the peer held, in memory and on disk, with messages delivered but not yet handled (bounded by <c>MaxHeldBytes</c>).</summary>
    public long HeldBytes { get; init; }

    /// <summary>The part of <see cref="HeldBytes"/> waiting on disk, past <c>MaxHeldInMemoryBytes</c>.</summary>
    public long HeldOnDiskBytes { get; init; }

    /// <summary>Held fragments that could not be written to disk (a full disk): dropped, they come again.</summary>
    public long HeldWritesFailed { get; init; }

    /// <summary>Held fragments whose bytes could not be read back from disk: forgotten, they come again.</summary>
    public long HeldReadsFailed { get; init; }

    /// <summary>The highest sequence number held from the peer since this node opened (or handled before).</summary>
    public long HighestReceived { get; init; }

    /// <summary>Fragments from the peer missing below <see cref="HighestReceived"/>; on a one-way link they come only if asked for again.</summary>
    public long MissingFragments { get; init; }

    /// <summary>The lowest missing ranges (up to 256), lowest first, with the time each opened.</summary>
    public IReadOnlyList<SequenceGap> Gaps { get; init; } = [];

    /// <summary>Files claiming to come from this peer that were dropped, by reason.</summary>
    public required IReadOnlyDictionary<FileRejectReason, long> Rejected { get; init; }

    /// <summary>The newest reject per reason, with its detail (for a bad signature: the key ids seen and expected).</summary>
    public IReadOnlyDictionary<FileRejectReason, RejectNote> LastRejects { get; init; } = new Dictionary<FileRejectReason, RejectNote>();

    public required DateTimeOffset? LastFileSeen { get; init; }

    /// <summary>When the newest file to this peer reached the outbox.</summary>
    public DateTimeOffset? LastFileWritten { get; init; }

    /// <summary>Files to this peer that could not be written (a full disk, a read-only folder); their fragments go out again later.</summary>
    public long FileWritesFailed { get; init; }

    /// <summary>The newest of those failures.</summary>
    public FileWriteFailure? LastWriteFailure { get; init; }

    public required TimeSpan? OldestUnacknowledgedAge { get; init; }

    public required TimeSpan SmoothedRoundTrip { get; init; }

    public required TimeSpan RetransmitTimeout { get; init; }

    /// <summary>How many bytes may be on the link to this peer now (see the congestion window); null on a send-only link.</summary>
    public long? LinkWindowBytes { get; init; }

    /// <summary>Bytes written to this peer and not yet known to have arrived or been lost.</summary>
    public long BytesOnLink { get; init; }

    /// <summary>The lowest round trip seen lately: the link's delay without a queue; zero before any sample.</summary>
    public TimeSpan BaseRoundTrip { get; init; }
}
