namespace Relay.Layer1;

/// <summary>Settings of a layer-1 node: where it reads and writes, and how its channels behave.</summary>
public sealed class Layer1Options
{
    /// <summary>Folder for the node's durable state (SQLite, WAL). Reopening it resumes every channel.</summary>
    public string StateDirectory { get; set; } = "";

    /// <summary>Folder the node writes its files to. May be the same as <see cref="Inbox"/> for one shared folder.</summary>
    public string Outbox { get; set; } = "";

    /// <summary>Folder the node reads files addressed to it from.</summary>
    public string Inbox { get; set; } = "";

    /// <summary>Largest file the node writes; larger messages are split across files. Mirrors truncate big files.</summary>
    public int MaxFileBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How long a sender under load waits for more messages to fill a file; an idle channel sends at once.</summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>How long a receiver waits to coalesce acknowledgements into one ack-only file when it has nothing else to send.</summary>
    public TimeSpan AckDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Resend timeout before any round trip has been measured.</summary>
    public TimeSpan InitialRetransmitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Floor of the measured resend timeout, so scheduling hiccups do not cause needless resends.</summary>
    public TimeSpan MinRetransmitTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Cap of the resend timeout after backoff. High, because a mirror that sweeps every few minutes
    /// makes round trips of minutes; the measured timeout, not this, normally decides.
    /// </summary>
    public TimeSpan MaxRetransmitTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The round trip expected before any is measured: a file to the peer and the ack for it back,
    /// sweeps and latency included. Zero starts from <see cref="InitialRetransmitTimeout"/>. An
    /// estimate measured in an earlier run of the node takes precedence.
    /// </summary>
    public TimeSpan ExpectedDelay { get; set; }

    /// <summary>
    /// Bytes sent but not yet acknowledged per channel before <c>SendAsync</c> waits (the window). Large,
    /// because a slow or scheduled link needs bandwidth × round trip in flight to stay busy; what waits
    /// for acks is on disk (the spool and the outbox each hold up to this much), not in memory.
    /// </summary>
    public long MaxUnacknowledgedBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// The part of the window small messages may take: they are kept in memory until acknowledged
    /// (large ones live in spool files), so this bounds the memory a channel's window costs.
    /// </summary>
    public long MaxUnacknowledgedInMemoryBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Bytes a receiver holds per channel, in memory and on disk together: fragments that arrived out
    /// of order or wait for the rest of their message, and messages delivered but not yet handled.
    /// Past it, fragments that arrive out of order are dropped and come again. Large, because a lossy
    /// link keeps a window's worth arriving above each gap while the gap is sent again.
    /// </summary>
    public long MaxHeldBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>
    /// The part of <see cref="MaxHeldBytes"/> kept in memory; held fragments beyond it wait in files
    /// under the state directory (<c>held/</c>, emptied at start) and are read back when their turn
    /// comes. The fragment the stream waits for next, and what follows it in the same file, stays in
    /// memory even past this bound unless messages the application has not yet handled fill it.
    /// </summary>
    public long MaxHeldInMemoryBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>How often the inbox is listed in case the file system delivers no change events (SMB, NFS).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Wait before a loop that failed is started again; it doubles with each failure in a row, up to a minute.</summary>
    public TimeSpan LoopRestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether files consumed from the inbox are deleted.</summary>
    public bool DeleteConsumedFiles { get; set; } = true;

    /// <summary>Files created longer ago than this are rejected as expired.</summary>
    public TimeSpan MaxFileAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Own files still in the outbox after this long are deleted even if never acknowledged (they are resent as needed).</summary>
    public TimeSpan OwnFileRetention { get; set; } = TimeSpan.FromDays(1);
}
