using Microsoft.Extensions.Logging;

namespace Relay.Layer1.Diagnostics;

/// <summary>Layer-1 log messages. Event ids 1000–1099: node; 1100–1199: files; 1200–1299: state.</summary>
internal static partial class Layer1Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Node {NodeId} opened with {PeerCount} peer(s); outbox {Outbox}, inbox {Inbox}")]
    public static partial void NodeOpened(ILogger logger, string nodeId, int peerCount, string outbox, string inbox);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Channel to {Peer} resumes with {Fragments} unacknowledged fragment(s); channel from {Peer} handled through {HandledThrough}")]
    public static partial void ChannelResumed(ILogger logger, string peer, int fragments, long handledThrough);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Node {NodeId} stopped")]
    public static partial void NodeStopped(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "The {Loop} loop failed; it is down and restarts in {DelaySeconds} s")]
    public static partial void LoopFailed(ILogger logger, Exception exception, string loop, double delaySeconds);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "The {Loop} loop restarted after {Failures} failure(s)")]
    public static partial void LoopRestarted(ILogger logger, string loop, int failures);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Trace, Message = "Wrote {FileName}: {Fragments} fragment(s), {BodyBytes} body bytes")]
    public static partial void FileWritten(ILogger logger, string fileName, int fragments, int bodyBytes);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Could not write {FileName} for {Peer}; its fragments will be resent")]
    public static partial void FileWriteFailed(ILogger logger, Exception exception, string fileName, string peer);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "Could not delete {Path}")]
    public static partial void FileDeleteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Rejected {FileName} from {Sender}: {Reason} ({Detail})")]
    public static partial void FileRejected(ILogger logger, string fileName, string sender, FileRejectReason reason, string? detail);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Trace, Message = "Read {FileName}: {NewFragments} new of {Fragments} fragment(s)")]
    public static partial void FileRead(ILogger logger, string fileName, int newFragments, int fragments);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Could not read {FileName}; it will be tried again")]
    public static partial void FileReadFailed(ILogger logger, Exception exception, string fileName);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Trace, Message = "Delivered message {Sequence} from {Peer} ({Bytes} bytes)")]
    public static partial void MessageDelivered(ILogger logger, string peer, long sequence, int bytes);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "Watching {Folder} failed; polling continues")]
    public static partial void WatcherFailed(ILogger logger, Exception exception, string folder);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Warning, Message = "The inbox {Folder} holds {OwnFiles} file(s) this node wrote and {ForeignFiles} addressed to other nodes: are the inbox and outbox crossed, or does a transfer loop back?")]
    public static partial void InboxMisaddressed(ILogger logger, string folder, int ownFiles, int foreignFiles);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Information, Message = "Rebuilt a lost file from {Peer} from the parity of group {Group}: {NewFragments} new fragment(s)")]
    public static partial void ParityRebuilt(ILogger logger, string peer, long group, int newFragments);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Warning, Message = "Could not rebuild a lost file from {Peer} from the parity of group {Group}: {Why}")]
    public static partial void ParityRebuildFailed(ILogger logger, string peer, long group, string why);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "Could not keep a body from {Peer} for its parity group; a loss in that group cannot be rebuilt")]
    public static partial void ParityKeepFailed(ILogger logger, Exception exception, string peer);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Resend request from {Peer}: {Fragments} fragment(s) queued again ({Ranges})")]
    public static partial void ResendRequestTaken(ILogger logger, string peer, long fragments, string ranges);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Refused the resend request {Path}: {Why}")]
    public static partial void ResendRequestRefused(ILogger logger, string path, string why);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Error, Message = "Handling {FileName} failed; the inbox goes on")]
    public static partial void FileConsumeFailed(ILogger logger, Exception exception, string fileName);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Could not delete the spooled message {Sequence} for {Peer}; it goes at the next start")]
    public static partial void SpoolDeleteFailed(ILogger logger, Exception exception, string peer, long sequence);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Forgot {Fragments} fragment(s) sent to {Peer} before {Before}: a resend request for them can no longer be served")]
    public static partial void SentPurged(ILogger logger, string peer, int fragments, DateTimeOffset before);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Could not forget what was sent to {Peer} past its retention; tried again later")]
    public static partial void SentPurgeFailed(ILogger logger, Exception exception, string peer);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Could not keep a fragment of {Length} bytes from {Peer} on disk while it waits for its turn; it is dropped and comes again")]
    public static partial void HeldWriteFailed(ILogger logger, Exception exception, string peer, int length);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Could not read back the held message {Sequence} from {Peer}; what of it was on disk is forgotten and comes again")]
    public static partial void HeldReadFailed(ILogger logger, Exception exception, string peer, long sequence);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Error, Message = "A state write failed")]
    public static partial void StateWriteFailed(ILogger logger, Exception exception);
}
