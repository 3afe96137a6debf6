using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// The callee's side of one stream: the request coming in, the response going back. Frames arrive
/// on the link's loop; the dispatcher reads <see cref="RequestBody"/> into the call to the callee.
/// </summary>
internal sealed class ExitExchange : IDisposable
{
    private readonly PeerLink _link;
    private readonly CancellationTokenSource _aborted = new();
    private readonly TaskCompletionSource _headHandled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="streamId">The stream.</param>
    /// <param name="link">The peer it came from.</param>
    /// <param name="head">The request head.</param>
    public ExitExchange(Guid streamId, PeerLink link, RequestHead head)
    {
        StreamId = streamId;
        _link = link;
        Head = head;
        DownloadWindow = new CreditWindow(link.Options.StreamWindowBytes, growsWithGrants: true);
        var spill = link.WaitingBodies?.For(link.Peer, streamId, fromInitiator: true);
        RequestBody = link.CanSend
            ? new InboundBody(link.Options.StreamWindowBytes, bytes => link.Post(FrameWriter.Credit(streamId, fromInitiator: false, bytes)), link.NewWindowTuner(), spill)
            : InboundBody.OneWay(link.Options.StreamWindowBytes, spill);
    }

    public Guid StreamId { get; }

    public RequestHead Head { get; }

    public InboundBody RequestBody { get; }

    /// <summary>Credit for the response body.</summary>
    public CreditWindow DownloadWindow { get; }

    /// <summary>Cancelled when the caller's side resets the stream (the caller hung up, or its deadline passed).</summary>
    public CancellationToken Aborted => _aborted.Token;

    public ResetReason? AbortReason { get; private set; }


    /// <summary>
    /// Completes once the request head's record is durable: only then may the body's messages be marked
    /// handled, or a crash could leave a request whose head comes again but whose body does not.
    /// </summary>
    public Task HeadHandled => _headHandled.Task;

    public void HeadIsHandled() => _headHandled.TrySetResult();

    public void OnRequestData(BodyChunk chunk)
    {
        // A one-way body has no window to overrun; data after its end is a copy's (sent again as new
        // messages while this one runs), and the body it would repeat is whole already.
        if (!RequestBody.TryAppend(chunk) && _link.CanSend)
        {
            OnProtocolViolation("request data beyond the window or after the end");
        }
    }

    public void OnCredit(int bytes) => DownloadWindow.Release(bytes);

    public void OnReset(ResetReason reason)
    {
        AbortReason ??= reason;
        var failure = new StreamResetException(reason, $"The entry side reset the stream ({reason}).");
        RequestBody.Fail(failure);
        DownloadWindow.Fail(failure);
        _aborted.Cancel();
    }

    public void OnProtocolViolation(string detail)
    {
        _link.Post(FrameWriter.Reset(StreamId, fromInitiator: false, ResetReason.ProtocolViolation));
        AbortReason ??= ResetReason.ProtocolViolation;
        var failure = new StreamResetException(ResetReason.ProtocolViolation, $"The entry side broke the protocol: {detail}.");
        RequestBody.Fail(failure);
        DownloadWindow.Fail(failure);
        _aborted.Cancel();
    }

    public void Dispose()
    {
        // Whatever happened, the body's messages must not wait on the head forever.
        _headHandled.TrySetResult();
        RequestBody.Dispose();
        _aborted.Dispose();
    }
}
