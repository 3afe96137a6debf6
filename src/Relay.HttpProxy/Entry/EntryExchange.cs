using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;

namespace Relay.HttpProxy.Entry;

/// <summary>
/// The caller's side of one stream: the request going out, the response coming back. Frames from
/// the peer arrive on the link's loop; the forwarder waits on <see cref="Response"/> and reads
/// <see cref="ResponseBody"/>.
/// </summary>
internal sealed class EntryExchange : IDisposable
{
    private readonly PeerLink _link;
    private readonly TaskCompletionSource<ResponseHead> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly InboundBody _responseBody;
    private int _headReceived;

    public EntryExchange(Guid streamId, PeerLink link)
    {
        StreamId = streamId;
        _link = link;
        UploadWindow = link.CanReceive ? new CreditWindow(link.Options.StreamWindowBytes, growsWithGrants: true) : null;
        _responseBody = new InboundBody(link.Options.StreamWindowBytes, bytes => link.Post(FrameWriter.Credit(streamId, fromInitiator: true, bytes)), link.NewWindowTuner(), link.WaitingBodies?.For(link.Peer, streamId, fromInitiator: false));
    }

    public Guid StreamId { get; }

    /// <summary>Completes with the response head, or fails with <see cref="StreamResetException"/> if the far side reset first.</summary>
    public Task<ResponseHead> Response => _response.Task;

    public InboundBody ResponseBody => _responseBody;

    /// <summary>Credit for the request body; null on a link that carries nothing back, where no credit can come.</summary>
    public CreditWindow? UploadWindow { get; }

    /// <summary>Set for a request answered 202: the response goes into the kept file instead of to a waiting caller.</summary>
    public Async.AsyncResponseSink? Sink { get; set; }

    /// <summary>Why the exchange ended early, or null.</summary>
    public StreamResetException? Failure { get; private set; }

    /// <summary>
    /// Waits for the response head. The deadline is for the answer: it starts once the whole request
    /// has gone (or the answer came first). Every way the wait can end becomes an outcome here.
    /// </summary>
    public async Task<ResponseWait> WaitForResponseAsync(Task upload, TimeSpan deadline, TimeProvider time, CancellationToken callerGone)
    {
        try
        {
            await Task.WhenAny(Response, upload).WaitAsync(callerGone).ConfigureAwait(false);
            return new ResponseWait(EntryOutcome.Response, await Response.WaitAsync(deadline, time, callerGone).ConfigureAwait(false));
        }
        catch (TimeoutException)
        {
            return new ResponseWait(EntryOutcome.DeadlineExceeded);
        }
        catch (OperationCanceledException) when (callerGone.IsCancellationRequested)
        {
            return new ResponseWait(EntryOutcome.CallerGone);
        }
        catch (StreamResetException failure)
        {
            return ResponseWait.Failed(failure);
        }
    }

    /// <summary>Takes the response head; returns what marking its message must wait for, or null.</summary>
    public Task? OnResponseHead(long sequence, Frame frame, ResponseHead head)
    {
        if (Sink is { } sink)
        {
            var kept = sink.OnHead(sequence, frame, head);
            GrantKept(frame);
            return kept;
        }

        OnResponseHead(frame, head);
        return null;
    }

    /// <summary>Takes response body bytes; returns what marking their message must wait for, or null.</summary>
    public Task? OnResponseData(long sequence, Frame frame)
    {
        if (Sink is { } sink)
        {
            var kept = sink.OnData(sequence, frame);
            GrantKept(frame);
            return kept;
        }

        OnResponseData(frame);
        return null;
    }

    private void GrantKept(Frame frame)
    {
        // Kept bytes are consumed bytes: the far side may send as many more.
        if (frame.BodyCredit > 0 && !frame.EndOfBody)
        {
            _link.Post(FrameWriter.Credit(StreamId, fromInitiator: true, frame.BodyCredit));
        }
    }

    private void OnResponseHead(Frame frame, ResponseHead head)
    {
        if (Interlocked.Exchange(ref _headReceived, 1) != 0)
        {
            // A second head means the far node restarted mid-response: what the caller got is incomplete.
            Fail(new StreamResetException(ResetReason.NodeRestarted, "The exit node restarted while the response was on its way."));
            return;
        }

        if (!_responseBody.TryAppend(BodyChunk.Of(frame)))
        {
            OnProtocolViolation("the response head carried more than the window");
            return;
        }

        _response.TrySetResult(head);
    }

    private void OnResponseData(Frame frame)
    {
        if (Volatile.Read(ref _headReceived) == 0 || !_responseBody.TryAppend(BodyChunk.Of(frame)))
        {
            OnProtocolViolation("response data out of place or beyond the window");
        }
    }

    public void OnCredit(int bytes) => UploadWindow?.Release(bytes);

    public void OnReset(ResetReason reason) =>
        Fail(new StreamResetException(reason, $"The exit side reset the stream ({reason})."));

    public void OnProtocolViolation(string detail)
    {
        Fail(new StreamResetException(ResetReason.ProtocolViolation, $"The exit side broke the protocol: {detail}."));
        _link.Post(FrameWriter.Reset(StreamId, fromInitiator: true, ResetReason.ProtocolViolation));
    }

    /// <summary>Ends the exchange locally: waiters and readers fail with <paramref name="failure"/>.</summary>
    public void Fail(StreamResetException failure)
    {
        Failure ??= failure;
        if (Sink is { } sink)
        {
            sink.Fail(failure is UnsupportedVersionException unsupported
                ? Problems.RelayProblem.UnsupportedVersion(unsupported.Peer, unsupported.SupportedVersions)
                : Problems.RelayProblem.StreamReset(failure.Reason));
        }

        _response.TrySetException(failure);
        _responseBody.Fail(failure);
        UploadWindow?.Fail(failure);
    }

    public void Dispose() => _responseBody.Dispose();
}
