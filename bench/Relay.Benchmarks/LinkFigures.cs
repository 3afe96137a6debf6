namespace Relay.Benchmarks;

/// <summary>What one scenario of the links benchmark measured; a figure is null when its phase did not complete.</summary>
internal sealed class LinkFigures(LinkScenario scenario)
{
    public LinkScenario Scenario { get; } = scenario;

    /// <summary>One sentence per phase that failed or timed out; empty when the scenario ran through.</summary>
    public List<string> Failures { get; } = [];

    public double WallSeconds { get; set; }

    public int SmallRequests { get; set; }

    public int SmallSucceeded { get; set; }

    public double? SmallSeconds { get; set; }

    public long TransferBytes { get; set; }

    public double? UploadSeconds { get; set; }

    public double? DownloadSeconds { get; set; }

    /// <summary>Seconds from the upload's first body byte at the callee to its last: how fast the link carried it.</summary>
    public double? UploadLinkSeconds { get; set; }

    /// <summary>Seconds from the download's first body byte at the caller to its last.</summary>
    public double? DownloadLinkSeconds { get; set; }

    /// <summary>Request and response bodies carried across the link in the measured phases.</summary>
    public long PayloadBytes { get; set; }

    /// <summary>The link's counters from after the warm-up (the start, one-way) to the end.</summary>
    public LinkSnapshot? Before { get; set; }

    public LinkSnapshot? After { get; set; }

    /// <summary>Whether every message was acknowledged before <see cref="After"/> was taken, so no resend or ack was still to come.</summary>
    public bool Settled { get; set; }

    public double EntryPeakRssMb { get; set; }

    public double ExitPeakRssMb { get; set; }

    /// <summary>One-way: requests sent (the small ones and the transfer).</summary>
    public int RequestsSent { get; set; }

    /// <summary>One-way: requests answered 202 with <c>Relay-Outcome: sent</c>.</summary>
    public int Accepted { get; set; }

    /// <summary>One-way: requests the callee received exactly once, whole.</summary>
    public int ReceivedOnce { get; set; }

    /// <summary>One-way: body bytes of the requests the callee received exactly once, whole.</summary>
    public long BytesReceivedOnce { get; set; }

    /// <summary>One-way: body bytes of every request sent.</summary>
    public long BytesSent { get; set; }

    public double? UploadMegabytesPerSecond => UploadSeconds is { } seconds ? TransferBytes / seconds / 1e6 : null;

    public double? DownloadMegabytesPerSecond => DownloadSeconds is { } seconds ? TransferBytes / seconds / 1e6 : null;

    /// <summary>The rate the upload's payload arrived at, once it began arriving (the link's goodput, without the request's fixed latency).</summary>
    public double? UploadLinkMegabytesPerSecond => UploadLinkSeconds is > 0 and var seconds ? TransferBytes / seconds / 1e6 : null;

    public double? DownloadLinkMegabytesPerSecond => DownloadLinkSeconds is > 0 and var seconds ? TransferBytes / seconds / 1e6 : null;

    /// <summary>Bytes offered to the link in both directions ÷ payload bytes carried; null unless every measured phase completed.</summary>
    public double? Amplification =>
        Before is { } before && After is { } after && Failures.Count == 0 && PayloadBytes > 0
            ? (double)(after.OfferedBytes - before.OfferedBytes) / PayloadBytes
            : null;

    /// <summary>One-way: the lower of the shares of requests and of bytes the callee received exactly once.</summary>
    public double? DeliveredOnceRatio =>
        RequestsSent > 0 && BytesSent > 0
            ? Math.Min((double)ReceivedOnce / RequestsSent, (double)BytesReceivedOnce / BytesSent)
            : null;
}
