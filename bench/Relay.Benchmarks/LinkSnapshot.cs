using Relay.Host.Status;
using Relay.Layer1.Faults;

namespace Relay.Benchmarks;

/// <summary>The pipes' counters and both nodes' channel status at one moment, so a phase can be measured as a difference.</summary>
internal sealed record LinkSnapshot(
    long ForwardFiles,
    long ForwardBytes,
    long BackFiles,
    long BackBytes,
    long Lost,
    long Truncated,
    PeerStatusDocument? Entry,
    PeerStatusDocument? Exit)
{
    /// <summary>Bytes offered to the link in both directions: every file, acks included.</summary>
    public long OfferedBytes => ForwardBytes + BackBytes;

    public static LinkSnapshot Take(FaultPipeCounters forward, FaultPipeCounters back, PeerStatusDocument? entry, PeerStatusDocument? exit) => new(
        forward.Seen,
        forward.BytesOffered,
        back.Seen,
        back.BytesOffered,
        forward.Lost + back.Lost,
        forward.Truncated + back.Truncated,
        entry,
        exit);
}
