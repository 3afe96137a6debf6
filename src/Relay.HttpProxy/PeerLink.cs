using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Entry;
using Relay.HttpProxy.Exit;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;
using Relay.Layer1;

namespace Relay.HttpProxy;

/// <summary>
/// The HTTP streams between this node and one peer over their layer-1 channel. One loop reads the
/// peer's messages in order and hands each frame to its stream: frames the peer sent as a caller's
/// side go to the exit exchanges, frames it sent as a callee's side to the entry exchanges. Every
/// message is marked handled as soon as its frame has been taken in (copied or made durable), so no
/// stream ever holds up the channel's acknowledgements.
/// </summary>
internal sealed class PeerLink
{
    private const int RecentResetsLimit = 10_000;

    private readonly Layer1Node _node;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Guid, EntryExchange> _entries = new();
    private readonly ConcurrentDictionary<Guid, ExitExchange> _exits = new();
    private readonly ConcurrentDictionary<Guid, byte> _recentResets = new();
    private long _malformedFrames;
    private long _unsupportedVersionFrames;
    private int _listedStreams;
    private long _framesWithheld;

    public PeerLink(string peer, Layer1Node node, HttpChannelOptions options, ILogger logger)
    {
        Peer = peer;
        _node = node;
        Options = options;
        _logger = logger;
        BodyBudget = new CreditWindow(options.PeerBodyBudgetBytes);
        Direction = node.Direction(peer);
    }

    /// <summary>
    /// Above this delivery rate <see cref="RouteCompression.Auto"/> picks LZ4, below it Brotli: where the
    /// link carries more than this, Brotli's compression time outweighs the bytes it saves over LZ4
    /// (measured in docs/benchmarks.md).
    /// </summary>
    public const double AutoLz4AboveBytesPerSecond = 80_000_000;

    public string Peer { get; }

    public HttpChannelOptions Options { get; }

    /// <summary>Which way the channel to the peer carries files.</summary>
    public PeerDirection Direction { get; }

    /// <summary>False when nothing may be written to the peer (<see cref="PeerDirection.ReceiveOnly"/>): its requests are replayed and nothing is answered.</summary>
    public bool CanSend => Direction != PeerDirection.ReceiveOnly;

    /// <summary>False when nothing comes back from the peer (<see cref="PeerDirection.SendOnly"/>): no response, credit or acknowledgement.</summary>
    public bool CanReceive => Direction != PeerDirection.SendOnly;

    /// <summary>Counters of one-way requests on this link, either side.</summary>
    public OneWayCounters OneWay { get; } = new();

    /// <summary>Frames this node would have sent the peer but did not, because nothing may be written to it, since start.</summary>
    public long FramesWithheld => Interlocked.Read(ref _framesWithheld);

    /// <summary>Body bytes all streams to this peer may still put into layer 1 before acks make room.</summary>
    public CreditWindow BodyBudget { get; }

    /// <summary>How fast the peer acknowledges body bytes: what <see cref="RouteCompression.Auto"/> goes by.</summary>
    public DeliveryRate Delivery { get; } = new(TimeProvider.System);

    /// <summary>The codec for a request's bodies on a route; an unmeasured link counts as a narrow one.</summary>
    public BodyCodec ChooseCodec(RouteCompression compression) => ChooseCodec(compression, Delivery.BytesPerSecond);

    /// <summary>The codec for a route's setting on a link delivering <paramref name="bytesPerSecond"/> (null: not measured yet).</summary>
    public static BodyCodec ChooseCodec(RouteCompression compression, double? bytesPerSecond) => compression switch
    {
        RouteCompression.None => BodyCodec.None,
        RouteCompression.Lz4 => BodyCodec.Lz4,
        RouteCompression.Brotli => BodyCodec.Brotli,
        _ => bytesPerSecond >= AutoLz4AboveBytesPerSecond ? BodyCodec.Lz4 : BodyCodec.Brotli,
    };

    /// <summary>Handles request heads and the other frames of streams the peer started; null on a node without egress.</summary>
    public ExitDispatcher? Exit { get; set; }

    /// <summary>
    /// How long a body may wait for the far side to make room: <c>Http:StreamIdleTimeout</c>, or four
    /// resend timeouts of the channel when the link is slower than that (credit takes a round trip,
    /// and a mirror that sweeps every few minutes makes round trips of minutes).
    /// </summary>
    public TimeSpan StreamIdleTimeout
    {
        get
        {
            var followingTheLink = _node.RetransmitTimeout(Peer) * 4;
            return followingTheLink > Options.StreamIdleTimeout ? followingTheLink : Options.StreamIdleTimeout;
        }
    }

    /// <summary>Where bodies from this peer wait on disk beyond their in-memory window; null keeps them in memory.</summary>
    public WaitingBodyFolder? WaitingBodies { get; set; }

    /// <summary>A receive window for one stream direction from this peer: it grows with the link's round trip.</summary>
    public ReceiveWindowTuner NewWindowTuner() => new(Options.MaxStreamWindowBytes, () => _node.SmoothedRoundTrip(Peer), TimeProvider.System);

    public int ActiveEntryStreams => _entries.Count;

    public int ActiveExitStreams => _exits.Count;

    public long MalformedFrames => Interlocked.Read(ref _malformedFrames);

    /// <summary>Frames from the peer in a version this node does not speak, since start.</summary>
    public long UnsupportedVersionFrames => Interlocked.Read(ref _unsupportedVersionFrames);

    /// <summary>The frame versions the peer said it speaks when it could not read ours; null while it has not complained.</summary>
    public int[]? PeerSupportedVersions { get; private set; }

    public Task<SentMessage> SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        CanSend ? _node.SendAsync(Peer, frame, cancellationToken) : throw CannotSend();

    /// <summary>Queues a frame in order; the returned task completes once it is durable.</summary>
    public ValueTask<Task<SentMessage>> QueueAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        CanSend ? _node.QueueAsync(Peer, frame, cancellationToken) : throw CannotSend();

    private InvalidOperationException CannotSend() =>
        new($"Peer '{Peer}' is {PeerDirection.ReceiveOnly}: this node writes nothing to it.");

    /// <summary>Sends a small control frame without waiting; a failure is logged. On a link that cannot send, nothing is written.</summary>
    public void Post(byte[] frame)
    {
        if (!CanSend)
        {
            // Credit, resets and problems have nowhere to go: a peer that only sends reads nothing from this node.
            Withhold();
            return;
        }

        _ = PostAsync(frame);
    }

    /// <summary>Counts a frame not sent because nothing may be written to the peer.</summary>
    public void Withhold() => Interlocked.Increment(ref _framesWithheld);

    public void Register(EntryExchange exchange) => _entries[exchange.StreamId] = exchange;

    public void Unregister(EntryExchange exchange) => _entries.TryRemove(new KeyValuePair<Guid, EntryExchange>(exchange.StreamId, exchange));

    public bool TryRegister(ExitExchange exchange) => _exits.TryAdd(exchange.StreamId, exchange);

    public void Unregister(ExitExchange exchange) => _exits.TryRemove(new KeyValuePair<Guid, ExitExchange>(exchange.StreamId, exchange));

    /// <summary>
    /// Tells the peer which streams this node's callers hold open, when there are any, and once
    /// more after the last has ended (and once at start), so the peer can end what is gone.
    /// </summary>
    /// <remarks>
    /// Only on a link that runs both ways. A peer this node only sends to ends nothing on a list (its
    /// one-way replays wait on nobody), so the list would only cost the link; a peer this node only
    /// receives from cannot be sent one.
    /// </remarks>
    public void SendHeartbeat(bool force = false)
    {
        if (Direction != PeerDirection.Both)
        {
            return;
        }

        var open = _entries.Keys.ToList();
        var wasListing = Interlocked.Exchange(ref _listedStreams, open.Count > 0 ? 1 : 0) == 1;
        if (open.Count == 0 && !wasListing && !force)
        {
            return;
        }

        // One frame, however many streams (16 bytes each): the peer ends whatever it does not list.
        Post(FrameWriter.Heartbeat(open));
    }

    // The channel is ordered: a heartbeat arriving after a stream's head was sent after it, so a
    // stream it does not list is no longer open on the caller's side (its caller went, or the node restarted).
    private void EndStreamsNotListed(Frame heartbeat)
    {
        var listed = heartbeat.HeartbeatStreams.ToHashSet();
        foreach (var exchange in _exits.Values)
        {
            if (!listed.Contains(exchange.StreamId))
            {
                HttpProxyLog.UnlistedStreamEnded(_logger, exchange.StreamId, Peer);
                exchange.OnReset(ResetReason.CallerGone);
            }
        }
    }

    /// <summary>Marks a message handled once <paramref name="after"/> has completed; failures are logged.</summary>
    public void MarkHandled(ReceivedMessage message, Task? after = null)
    {
        _ = MarkAsync(message, after);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (var message in _node.ReadAllAsync(Peer, cancellationToken).ConfigureAwait(false))
        {
            if (!Frame.TryParse(message.Payload, out var frame, out var reject))
            {
                if (reject == FrameReject.UnsupportedVersion && Frame.TryReadUnsupportedVersion(message.Payload, out var answer)
                    && Frame.TryPeek(message.Payload.Span, out _, out _, out var answeredStream, out var answeredFromInitiator))
                {
                    // Another version's answer to ours: read by its fixed layout, and never answered (or two nodes would answer each other forever).
                    OnUnsupportedVersion(answeredStream, answeredFromInitiator, answer!);
                }
                else if (reject == FrameReject.UnsupportedVersion
                    && Frame.TryPeek(message.Payload.Span, out var version, out var type, out var streamId, out var fromInitiator)
                    && type != (byte)FrameType.UnsupportedVersion)
                {
                    // Say which versions this node speaks, so the peer can report it instead of trying again.
                    Interlocked.Increment(ref _unsupportedVersionFrames);
                    HttpProxyLog.UnsupportedVersionReceived(_logger, Peer, version, streamId);
                    Post(FrameWriter.UnsupportedVersion(streamId, !fromInitiator));
                }
                else
                {
                    Interlocked.Increment(ref _malformedFrames);
                    HttpProxyLog.MalformedFrame(_logger, Peer, message.Sequence, reject);
                }

                MarkHandled(message);
                continue;
            }

            if (frame.Type == FrameType.Heartbeat)
            {
                // From a peer this node cannot answer, every stream is a one-way replay that waits on nobody:
                // neither a heartbeat nor its absence may end it.
                if (CanSend)
                {
                    EndStreamsNotListed(frame);
                }

                MarkHandled(message);
                continue;
            }

            if (frame.Type == FrameType.UnsupportedVersion)
            {
                OnUnsupportedVersion(frame.StreamId, frame.FromInitiator, frame.UnsupportedVersion!);
                MarkHandled(message);
                continue;
            }

            try
            {
                if (frame.FromInitiator)
                {
                    OnFrameAsCallee(frame, message);
                }
                else
                {
                    OnFrameAsCaller(frame, message);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // One stream's failure must not stop the loop every other stream to this peer depends on.
                HttpProxyLog.FrameFailed(_logger, exception, Peer, frame.StreamId, frame.Type);
                MarkHandled(message);
            }
        }
    }

    // A frame from the peer's caller side: a request head, request body, or credit/reset for our response.
    private void OnFrameAsCallee(Frame frame, ReceivedMessage message)
    {
        if (frame.Type == FrameType.RequestHead)
        {
            if (Exit is null)
            {
                // No egress here: answer with a problem so the caller is not left waiting.
                ExitDispatcher.RefuseWithoutEgress(this, frame, _logger);
                MarkHandled(message);
                return;
            }

            Exit.Accept(this, frame, message);
            return;
        }

        if (!_exits.TryGetValue(frame.StreamId, out var exchange))
        {
            MarkHandled(message);
            return;
        }


        switch (frame.Type)
        {
            case FrameType.Data:
                exchange.OnRequestData(BodyChunk.Of(frame));
                MarkHandled(message, exchange.HeadHandled);
                return;
            case FrameType.Credit:
                exchange.OnCredit(frame.CreditBytes);
                break;
            case FrameType.Reset:
                exchange.OnReset(frame.ResetReason);
                break;
            default:
                exchange.OnProtocolViolation($"unexpected {frame.Type} from the caller's side");
                break;
        }

        MarkHandled(message);
    }

    // A frame from the peer's callee side: a response head, response body, or credit/reset for our request.
    private void OnFrameAsCaller(Frame frame, ReceivedMessage message)
    {
        if (!_entries.TryGetValue(frame.StreamId, out var exchange))
        {
            // The caller is gone (this node restarted, or the caller hung up): stop the far side sending.
            if (frame.Type is FrameType.ResponseHead or FrameType.Data && _recentResets.TryAdd(frame.StreamId, 0))
            {
                if (_recentResets.Count > RecentResetsLimit)
                {
                    _recentResets.Clear();
                }

                Post(FrameWriter.Reset(frame.StreamId, fromInitiator: true, ResetReason.UnknownStream));
            }

            MarkHandled(message);
            return;
        }

        Task? kept = null;
        switch (frame.Type)
        {
            case FrameType.ResponseHead:
                kept = exchange.OnResponseHead(message.Sequence, frame, frame.ResponseHead!);
                break;
            case FrameType.Data:
                kept = exchange.OnResponseData(message.Sequence, frame);
                break;
            case FrameType.Credit:
                exchange.OnCredit(frame.CreditBytes);
                break;
            case FrameType.Reset:
                exchange.OnReset(frame.ResetReason);
                break;
            default:
                exchange.OnProtocolViolation($"unexpected {frame.Type} from the callee's side");
                break;
        }

        MarkHandled(message, kept);
    }

    private void OnUnsupportedVersion(Guid streamId, bool fromInitiator, UnsupportedVersionDocument answer)
    {
        PeerSupportedVersions = answer.SupportedVersions;
        HttpProxyLog.PeerSpeaksOtherVersions(_logger, Peer, Frame.Version, string.Join(", ", answer.SupportedVersions));
        var failure = new UnsupportedVersionException(Peer, answer.SupportedVersions);
        if (fromInitiator)
        {
            // The caller's side could not read our response frames.
            if (_exits.TryGetValue(streamId, out var exit))
            {
                exit.OnReset(ResetReason.UnsupportedVersion);
            }
        }
        else if (_entries.TryGetValue(streamId, out var entry))
        {
            entry.Fail(failure);
        }
    }

    private async Task PostAsync(byte[] frame)
    {
        try
        {
            await _node.SendAsync(Peer, frame).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or OperationCanceledException)
        {
            // The node is stopping; the far side's idle timeout ends the stream.
        }
        catch (Exception exception)
        {
            HttpProxyLog.SendFailed(_logger, exception, Peer);
        }
    }

    private async Task MarkAsync(ReceivedMessage message, Task? after)
    {
        try
        {
            if (after is not null)
            {
                await after.ConfigureAwait(false);
            }

            await _node.MarkHandledAsync(message).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or OperationCanceledException)
        {
            // Stopping: the message comes again after the restart, and the stream's state decides what it means.
        }
        catch (Exception exception)
        {
            HttpProxyLog.MarkFailed(_logger, exception, Peer, message.Sequence);
        }
    }
}
