using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Diagnostics;

/// <summary>Log messages of layer 2. Event ids: 2000–2099 entry side, 2100–2199 exit side, 2200–2299 the link.</summary>
internal static partial class HttpProxyLog
{
    [LoggerMessage(2000, LogLevel.Debug, "Stream {StreamId:N}: {Method} {Target} accepted for {Peer}")]
    public static partial void RequestAccepted(ILogger logger, Guid streamId, string method, LoggedUrl target, string peer);

    [LoggerMessage(2001, LogLevel.Warning, "Stream {StreamId:N}: no response from {Target} within {Deadline}")]
    public static partial void DeadlineExceeded(ILogger logger, Guid streamId, LoggedUrl target, TimeSpan deadline);

    [LoggerMessage(2002, LogLevel.Information, "Stream {StreamId:N}: request body abandoned ({Reason})")]
    public static partial void UploadAbandoned(ILogger logger, Guid streamId, ResetReason reason);

    [LoggerMessage(2003, LogLevel.Warning, "Stream {StreamId:N}: response broke off ({Reason}); the caller's connection was aborted")]
    public static partial void ResponseAborted(ILogger logger, Guid streamId, ResetReason reason);

    [LoggerMessage(2060, LogLevel.Information, "Refused {Method} {Target} on a one-way route to {Peer}: it asks for {Asked}")]
    public static partial void OneWayRefused(ILogger logger, string method, LoggedUrl target, string peer, string asked);

    [LoggerMessage(2061, LogLevel.Information, "Request {RequestId:N}: {Method} {Target} sent one-way to {Peer} ({Bytes} body bytes durable); answered 202")]
    public static partial void OneWaySent(ILogger logger, Guid requestId, string method, LoggedUrl target, string peer, long bytes);

    [LoggerMessage(2013, LogLevel.Warning, "Request {RequestId:N}: its response is dropped: {Why}")]
    public static partial void AsyncResponseDropped(ILogger logger, Guid requestId, string why);

    [LoggerMessage(2041, LogLevel.Warning, "Refused a request asking for its response to be kept: kept responses use {Used} of {Limit} bytes")]
    public static partial void AsyncStorageFull(ILogger logger, long used, long limit);

    [LoggerMessage(2040, LogLevel.Warning, "Refused a request to {Peer}: {Limit} requests to it are in progress")]
    public static partial void TooManyStreams(ILogger logger, string peer, int limit);

    [LoggerMessage(2050, LogLevel.Debug, "{Method} {Target} answered from the cache ({Age} s old)")]
    public static partial void AnsweredFromCache(ILogger logger, string method, LoggedUrl target, long age);

    [LoggerMessage(2051, LogLevel.Debug, "Stream {StreamId:N}: response from {Target} cached for {FreshFor}")]
    public static partial void ResponseCached(ILogger logger, Guid streamId, LoggedUrl target, TimeSpan freshFor);

    [LoggerMessage(2030, LogLevel.Information, "Refused a request path: {Reason}")]
    public static partial void UnsafePathRefused(ILogger logger, string reason);

    [LoggerMessage(2010, LogLevel.Information, "Request {RequestId:N}: callback to {Url} delivered after {Attempts} attempt(s)")]
    public static partial void CallbackDelivered(ILogger logger, Guid requestId, LoggedUrl url, int attempts);

    [LoggerMessage(2011, LogLevel.Warning, "Request {RequestId:N}: callback to {Url} failed ({Reason}); attempt {Attempt} in {Delay}")]
    public static partial void CallbackRetrying(ILogger logger, Guid requestId, LoggedUrl url, string reason, int attempt, TimeSpan delay);

    [LoggerMessage(2012, LogLevel.Error, "Request {RequestId:N}: callback to {Url} abandoned after {Attempts} attempt(s) and {GiveUpAfter}")]
    public static partial void CallbackAbandoned(ILogger logger, Guid requestId, LoggedUrl url, int attempts, TimeSpan giveUpAfter);

    [LoggerMessage(2014, LogLevel.Error, "Request {RequestId:N}: callback to {Url} failed in a way retrying does not mend; it is tried again at the next start")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, Guid requestId, LoggedUrl url);

    [LoggerMessage(2015, LogLevel.Information, "Forgot {Forgotten} expired response(s) to requests answered 202; {Left} could not be deleted yet")]
    public static partial void KeptResponsesPurged(ILogger logger, int forgotten, int left);

    [LoggerMessage(2140, LogLevel.Warning, "Stream {StreamId:N}: {Method} {Target} arrived after its deadline; not called")]
    public static partial void ExpiredNotCalled(ILogger logger, Guid streamId, string method, LoggedUrl target);

    [LoggerMessage(2100, LogLevel.Debug, "Stream {StreamId:N}: {Method} {Target} answered {Status}")]
    public static partial void RequestServed(ILogger logger, Guid streamId, string method, LoggedUrl target, int status);

    [LoggerMessage(2101, LogLevel.Warning, "Stream {StreamId:N}: {Target} is not an allowed target; refused the request from {Peer}")]
    public static partial void TargetRefused(ILogger logger, Guid streamId, LoggedUrl target, string peer);

    [LoggerMessage(2102, LogLevel.Warning, "Stream {StreamId:N}: calling {Target} failed")]
    public static partial void CalleeUnreachable(ILogger logger, Exception exception, Guid streamId, LoggedUrl target);

    [LoggerMessage(2103, LogLevel.Information, "Stream {StreamId:N}: call to {Target} abandoned ({Reason})")]
    public static partial void CallAbandoned(ILogger logger, Guid streamId, LoggedUrl target, ResetReason reason);

    [LoggerMessage(2104, LogLevel.Warning, "Stream {StreamId:N}: the response body from {Target} broke off")]
    public static partial void ResponseBroken(ILogger logger, Exception exception, Guid streamId, LoggedUrl target);

    [LoggerMessage(2105, LogLevel.Error, "Stream {StreamId:N}: relaying to {Target} failed")]
    public static partial void ExchangeFailed(ILogger logger, Exception exception, Guid streamId, LoggedUrl target);

    [LoggerMessage(2106, LogLevel.Warning, "Stream {StreamId:N}: {Method} {Target} was with the callee when the node stopped; calling it again")]
    public static partial void RetryingAfterRestart(ILogger logger, Guid streamId, string method, LoggedUrl target);

    [LoggerMessage(2107, LogLevel.Warning, "Stream {StreamId:N}: {Method} {Target} was with the callee when the node stopped; answering 502 with an unknown outcome")]
    public static partial void OutcomeUnknown(ILogger logger, Guid streamId, string method, LoggedUrl target);

    [LoggerMessage(2108, LogLevel.Information, "Stream {StreamId:N}: answered from the response kept for Idempotency-Key {Key}")]
    public static partial void AnsweredFromStore(ILogger logger, Guid streamId, string key);

    [LoggerMessage(2109, LogLevel.Warning, "Stream {StreamId:N}: this node has no egress; refused the request from {Peer}")]
    public static partial void RefusedWithoutEgress(ILogger logger, Guid streamId, string peer);

    [LoggerMessage(2110, LogLevel.Warning, "Purging kept responses failed")]
    public static partial void PurgeFailed(ILogger logger, Exception exception);

    [LoggerMessage(2111, LogLevel.Warning, "Stream {StreamId:N}: the response for Idempotency-Key {Key} could not be kept; the caller got it, a repeat will be told it was not kept")]
    public static partial void ResponseNotKept(ILogger logger, Exception exception, Guid streamId, string key);

    // 2201 was a head that did not parse: heads are read with their frame now, so that is event 2200.
    [LoggerMessage(2150, LogLevel.Information, "Stream {StreamId:N}: one-way {Method} {Target} from {Peer} answered {Status} by the callee; the response is dropped, nothing goes back")]
    public static partial void OneWayReplayed(ILogger logger, Guid streamId, string method, LoggedUrl target, string peer, int status);

    [LoggerMessage(2151, LogLevel.Warning, "Stream {StreamId:N}: one-way {Method} {Target} from {Peer} got no response from the callee ({Outcome}); it is not called again")]
    public static partial void OneWayFailed(ILogger logger, Guid streamId, string method, LoggedUrl target, string peer, string outcome);

    [LoggerMessage(2152, LogLevel.Warning, "Stream {StreamId:N}: one-way {Method} {Target} from {Peer} arrived after its deadline (by the sender's clock, {Late} late); not called")]
    public static partial void OneWayLate(ILogger logger, Guid streamId, string method, LoggedUrl target, string peer, TimeSpan late);

    [LoggerMessage(2153, LogLevel.Information, "Stream {StreamId:N}: one-way {Method} {Target} from {Peer} arrived again ({Why}); not replayed twice")]
    public static partial void OneWayDuplicate(ILogger logger, Guid streamId, string method, LoggedUrl target, string peer, string why);

    [LoggerMessage(2200, LogLevel.Warning, "Message {Sequence} from {Peer} is not a valid frame ({Reject}); dropped")]
    public static partial void MalformedFrame(ILogger logger, string peer, long sequence, FrameReject reject);

    [LoggerMessage(2202, LogLevel.Error, "Sending to {Peer} failed")]
    public static partial void SendFailed(ILogger logger, Exception exception, string peer);

    [LoggerMessage(2203, LogLevel.Error, "Marking message {Sequence} from {Peer} handled failed")]
    public static partial void MarkFailed(ILogger logger, Exception exception, string peer, long sequence);

    [LoggerMessage(2205, LogLevel.Error, "Stream {StreamId:N} from {Peer}: handling a {Type} frame failed")]
    public static partial void FrameFailed(ILogger logger, Exception exception, string peer, Guid streamId, FrameType type);

    [LoggerMessage(2206, LogLevel.Warning, "{Peer} sent a frame of version {Version} (stream {StreamId:N}), which this node does not speak; answered with the versions it does")]
    public static partial void UnsupportedVersionReceived(ILogger logger, string peer, byte version, Guid streamId);

    [LoggerMessage(2207, LogLevel.Error, "{Peer} does not speak frame version {Version}; it speaks {Supported}. Upgrade one of the nodes")]
    public static partial void PeerSpeaksOtherVersions(ILogger logger, string peer, byte version, string supported);

    [LoggerMessage(2208, LogLevel.Information, "Stream {StreamId:N}: {Peer}'s heartbeat no longer lists it; its caller is gone, ending it")]
    public static partial void UnlistedStreamEnded(ILogger logger, Guid streamId, string peer);
}
