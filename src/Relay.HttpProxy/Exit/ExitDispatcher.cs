using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.State;
using Relay.HttpProxy.Streams;
using Relay.Layer1;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// The exit side: replays requests from peers to callees on the egress allowlist and streams the
/// responses back. It coordinates the steps; each step reports how it ended as a
/// <see cref="CalleeCallResult"/>, and <see cref="ExitAnswers"/> says what the caller is sent for it.
/// </summary>
/// <remarks>
/// For each request head:
/// 1. Take its place in line behind earlier requests with the same caller <c>Idempotency-Key</c> (<see cref="IdempotencyGate"/>).
/// 2. Refuse a request whose whole body came after its deadline (504, never called) and targets off the allowlist (403).
/// 3. If the key already has a kept exchange, answer from the store (or 422 when the repeat differs) and stop.
/// 4. Record the request durably, then mark its message handled: from here a crash cannot lose it,
///    and the record says the callee may have seen it.
/// 5. Build the callee's request (<see cref="CalleeRequestBuilder"/>) and send it; no response head
///    within the caller's deadline is 504, no connection 502.
/// 6. Stream the response back within the caller's credit (<see cref="ResponseStreamer"/>), keeping a
///    copy when the caller sent a key (<see cref="ResponseFileTee"/>); a body that breaks off resets the stream.
/// 7. Complete the record (with the response, when kept).
/// After a restart, <see cref="ExchangeRecovery"/> settles recorded but unfinished requests.
/// From a peer this node writes nothing to (<see cref="Relay.Layer1.PeerDirection.ReceiveOnly"/>) the steps are
/// the same, but nothing is answered: a request is replayed once (its record stays, completed, for
/// <see cref="EgressOptions.OneWayRequestLifetime"/>, so a copy arriving again is not replayed again),
/// its body waits on disk for a slow callee beyond its window (<see cref="BodySpill"/>), the callee's
/// response is read (a bounded amount) and dropped, and every outcome is logged and counted on the
/// link (<see cref="OneWayCounters"/>).
/// </remarks>
internal sealed class ExitDispatcher : IAsyncDisposable
{
    /// <summary>How much of a callee's response to a one-way request is read before its connection is closed instead.</summary>
    private const int MaxDiscardedResponseBytes = 1024 * 1024;

    private static readonly HashSet<string> IdempotentMethods = new(StringComparer.OrdinalIgnoreCase)
    {
        "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE",
    };

    private readonly EgressOptions _options;
    private readonly ExchangeStore _store;
    private readonly HttpMessageInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpProxyMetrics _metrics;
    private readonly TargetAllowList _allowed;
    private readonly IdempotencyGate _gate;
    private readonly ExchangeRecovery _recovery;
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _purgeTimer;
    private readonly IReadOnlyCollection<string> _oneWayPeers;

    /// <param name="options">The egress options.</param>
    /// <param name="store">The durable record of requests; kept response bodies are on its file system.</param>
    /// <param name="invoker">Calls the callees.</param>
    /// <param name="time">The clock for deadlines and purging.</param>
    /// <param name="logger">The log.</param>
    /// <param name="metrics">The layer's metrics.</param>
    /// <param name="oneWayPeers">The peers this node only receives from: their records are kept for <see cref="EgressOptions.OneWayRequestLifetime"/>.</param>
    public ExitDispatcher(EgressOptions options, ExchangeStore store, HttpMessageInvoker invoker, TimeProvider time, ILogger logger, HttpProxyMetrics metrics, IReadOnlyCollection<string> oneWayPeers)
    {
        _oneWayPeers = oneWayPeers;
        _options = options;
        _store = store;
        _invoker = invoker;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _allowed = new TargetAllowList(options.AllowedTargets);
        _gate = new IdempotencyGate(store, logger, metrics);
        _recovery = new ExchangeRecovery(store, time, logger, metrics);
        _purgeTimer = time.CreateTimer(_ => Track(PurgeAsync()), null, TimeSpan.Zero, TimeSpan.FromMinutes(1));
    }

    /// <summary>Answers a request head on a node that has no egress, so its caller is not left waiting.</summary>
    public static void RefuseWithoutEgress(PeerLink link, Frame frame, ILogger logger)
    {
        HttpProxyLog.RefusedWithoutEgress(logger, frame.StreamId, link.Peer);
        link.Post(ExitFrames.Problem(frame.StreamId, RelayProblem.NoEgress(link.Peer), HeaderList.Empty));
    }

    /// <summary>Takes a request head from the link's loop; the work continues in the background.</summary>
    public void Accept(PeerLink link, Frame frame, ReceivedMessage message)
    {
        var head = frame.RequestHead!;
        var exchange = new ExitExchange(frame.StreamId, link, head);
        if (!link.TryRegister(exchange))
        {
            if (!link.CanSend)
            {
                CountDuplicate(link, exchange, "while its first copy is being replayed");
            }

            exchange.Dispose();
            link.MarkHandled(message);
            return;
        }

        if (!frame.Body.IsEmpty || frame.EndOfBody)
        {
            exchange.OnRequestData(BodyChunk.Of(frame));
        }

        var turn = _gate.Enter(link.Peer, head);
        var retry = IdempotentMethods.Contains(head.Method) && frame.EndOfBody ? RetryRecord.Of(frame) : null;
        Track(HandleAsync(link, exchange, message, turn, retry, wholeInHead: frame.EndOfBody || !head.HasBody));
    }

    /// <summary>Settles the requests that were with a callee when this node stopped.</summary>
    public Task RecoverAsync(IReadOnlyDictionary<string, PeerLink> links) =>
        _recovery.RecoverAsync(links, (link, exchange, callerKey) => Track(RetryAsync(link, exchange, callerKey)));

    public async ValueTask DisposeAsync()
    {
        await _purgeTimer.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void Track(Task task)
    {
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task HandleAsync(PeerLink link, ExitExchange exchange, ReceivedMessage message, IdempotencyTurn turn, RetryRecord? retry, bool wholeInHead)
    {
        var head = exchange.Head;
        try
        {
            await turn.WaitAsync().ConfigureAwait(false);
            if (Refusal(exchange, wholeInHead) is { } refused)
            {
                await SettleAsync(link, exchange, refused).ConfigureAwait(false);
                link.MarkHandled(message);
                return;
            }

            if (!link.CanSend)
            {
                // A kept answer cannot be sent back: a request with a key already done is a copy, not a repeat to answer.
                if (turn.CallerKey is { } key && await _store.FindResponseAsync(link.Peer, turn.Scope!, key).ConfigureAwait(false) is not null)
                {
                    CountDuplicate(link, exchange, "its Idempotency-Key was replayed already");
                    link.MarkHandled(message);
                    return;
                }
            }
            else if (await _gate.TryAnswerAsync(link, exchange, turn).ConfigureAwait(false) is { } answered)
            {
                await SettleAsync(link, exchange, answered).ConfigureAwait(false);
                link.MarkHandled(message);
                return;
            }

            var inserted = await _store.InsertAsync(
                new StoredExchange(link.Peer, exchange.StreamId, head.Method, head.Target, turn.CallerKey, retry?.Head, retry?.Body) { Scope = turn.Scope }, _time.GetUtcNow())
                .ConfigureAwait(false);
            exchange.HeadIsHandled();
            link.MarkHandled(message);
            if (!inserted)
            {
                // Delivered again after a restart: the recovery pass has settled it. From a one-way peer, also
                // a copy sent again later: its record is kept for that.
                if (!link.CanSend)
                {
                    CountDuplicate(link, exchange, "it was replayed already");
                }

                return;
            }

            await CallAsync(link, exchange, turn.CallerKey).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || _stopping.IsCancellationRequested)
        {
            HttpProxyLog.ExchangeFailed(_logger, exception, exchange.StreamId, head.Target);
        }
        finally
        {
            link.Unregister(exchange);
            exchange.Dispose();
            _gate.Leave(link.Peer, turn);
        }
    }

    private CalleeCallResult? Refusal(ExitExchange exchange, bool wholeInHead)
    {
        var head = exchange.Head;

        // Whole and already past its deadline: the caller has had its 504, so calling now would do work nobody waits for.
        if (head.ExpiresAtUnixMilliseconds is { } expires && wholeInHead
            && _time.GetUtcNow().ToUnixTimeMilliseconds() > expires + (long)_options.ClockSkewAllowance.TotalMilliseconds)
        {
            return new CalleeCallResult(ExitOutcome.DeadlinePassed);
        }

        return _allowed.IsAllowed(head.Target) ? null : new CalleeCallResult(ExitOutcome.TargetRefused);
    }

    private async Task RetryAsync(PeerLink link, ExitExchange exchange, string? callerKey)
    {
        try
        {
            await CallAsync(link, exchange, callerKey).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            HttpProxyLog.ExchangeFailed(_logger, exception, exchange.StreamId, exchange.Head.Target);
        }
        finally
        {
            link.Unregister(exchange);
            exchange.Dispose();
        }
    }

    private async Task CallAsync(PeerLink link, ExitExchange exchange, string? callerKey)
    {
        // A request nobody waits for (a one-way link) keeps its record once complete, with or without
        // a caller key, so a copy of it is never replayed.
        var oneWay = !link.CanSend;
        var head = exchange.Head;
        using var hashed = callerKey is not null && head.HasBody ? new BodyHashingStream(exchange.RequestBody) : null;
        using var request = CalleeRequestBuilder.Build(head, exchange.StreamId, (Stream?)hashed ?? (head.HasBody ? exchange.RequestBody : null), callerKey);
        var (sent, response) = await SendToCalleeAsync(exchange, request).ConfigureAwait(false);
        if (response is null)
        {
            await SettleAsync(link, exchange, sent).ConfigureAwait(false);
            if (sent.Outcome != ExitOutcome.Stopping)
            {
                await CompleteAsync(link, exchange, callerKey, null, null, false, remember: oneWay).ConfigureAwait(false);
            }

            return;
        }

        using (response)
        {
            if (oneWay)
            {
                await CompleteOneWayAsync(link, exchange, callerKey, response, hashed).ConfigureAwait(false);
                return;
            }

            var responseHead = ResponseStreamer.HeadOf(response);
            using var tee = callerKey is null ? null : new ResponseFileTee(_store.FileSystem, _store.BodyPath(link.Peer, exchange.StreamId), _options.MaxStoredResponseBytes);
            var streamed = await ResponseStreamer.StreamAsync(link, exchange, response, responseHead, tee).ConfigureAwait(false);
            if (!streamed.IsServed)
            {
                await SettleAsync(link, exchange, streamed).ConfigureAwait(false);
                await CompleteAsync(link, exchange, callerKey, null, null, false).ConfigureAwait(false);
                return;
            }

            var kept = tee?.Commit() ?? false;
            if (tee?.Failure is { } failure)
            {
                HttpProxyLog.ResponseNotKept(_logger, failure, exchange.StreamId, callerKey!);
            }

            var bodyHash = await BodyHashAsync(exchange, callerKey, hashed).ConfigureAwait(false);
            await CompleteAsync(link, exchange, callerKey, responseHead.Status, FramePayloads.ToBytes(responseHead), kept, bodyHash).ConfigureAwait(false);
            HttpProxyLog.RequestServed(_logger, exchange.StreamId, head.Method, head.Target, responseHead.Status);
            _metrics.Served(link.Peer, responseHead.Status);
        }
    }

    /// <summary>The callee's answer to a replayed one-way request: its status is what is left of it, logged and counted.</summary>
    private async Task CompleteOneWayAsync(PeerLink link, ExitExchange exchange, string? callerKey, HttpResponseMessage response, BodyHashingStream? hashed)
    {
        var head = exchange.Head;
        var status = (int)response.StatusCode;
        await DiscardAsync(response, exchange).ConfigureAwait(false);
        var bodyHash = await BodyHashAsync(exchange, callerKey, hashed).ConfigureAwait(false);
        await CompleteAsync(link, exchange, callerKey, status, null, false, bodyHash, remember: true).ConfigureAwait(false);
        HttpProxyLog.OneWayReplayed(_logger, exchange.StreamId, head.Method, head.Target, link.Peer, status);
        link.OneWay.CountCalleeStatus(status);
        _metrics.Served(link.Peer, status);
        _metrics.OneWay(link.Peer, "exit", "replayed");
    }

    // A callee may answer before reading the whole body; a repeat is judged against all of it.
    private static async ValueTask<byte[]?> BodyHashAsync(ExitExchange exchange, string? callerKey, BodyHashingStream? hashed) =>
        callerKey is null ? null : hashed is null ? BodyHashingStream.EmptyBodyHash : hashed.Hash ?? await hashed.ReadToEndAsync(exchange.Aborted).ConfigureAwait(false);

    // Read so the callee sees its answer taken (a reset could look like a failure to it), but only so much and so long.
    private async Task DiscardAsync(HttpResponseMessage response, ExitExchange exchange)
    {
        using var within = CancellationTokenSource.CreateLinkedTokenSource(exchange.Aborted, _stopping.Token);
        within.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, exchange.Head.DeadlineMilliseconds)));
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(within.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                long read = 0;
                int count;
                while (read < MaxDiscardedResponseBytes && (count = await body.ReadAsync(buffer, within.Token).ConfigureAwait(false)) > 0)
                {
                    read += count;
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or HttpRequestException)
        {
            // The status is what counts; a body that breaks off or drags on is closed with the response.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void CountDuplicate(PeerLink link, ExitExchange exchange, string why)
    {
        HttpProxyLog.OneWayDuplicate(_logger, exchange.StreamId, exchange.Head.Method, exchange.Head.Target, link.Peer, why);
        link.OneWay.CountDuplicate();
        _metrics.OneWay(link.Peer, "exit", "duplicate");
    }

    /// <summary>Sends the request and waits for the callee's response head, within the caller's deadline.</summary>
    private async Task<(CalleeCallResult Result, HttpResponseMessage? Response)> SendToCalleeAsync(ExitExchange exchange, HttpRequestMessage request)
    {
        var head = exchange.Head;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(exchange.Aborted, _stopping.Token);

        // Like the entry side's, the deadline is for the answer: it starts once the whole request body is with the callee.
        var answerWithin = TimeSpan.FromMilliseconds(Math.Max(1, head.DeadlineMilliseconds));
        if (head.HasBody)
        {
            _ = exchange.RequestBody.Completion.ContinueWith(
                _ => StartDeadline(deadline, answerWithin), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else
        {
            deadline.CancelAfter(answerWithin);
        }

        try
        {
            return (CalleeCallResult.Served, await _invoker.SendAsync(request, deadline.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException exception) when (_stopping.IsCancellationRequested)
        {
            return (new CalleeCallResult(ExitOutcome.Stopping, Error: exception), null);
        }
        catch (Exception exception) when (exception is OperationCanceledException or HttpRequestException && exchange.Aborted.IsCancellationRequested)
        {
            // The caller's side reset the stream: its body reads failed, or the wait was cancelled.
            var outcome = exchange.AbortReason == ResetReason.ProtocolViolation ? ExitOutcome.ProtocolViolation : ExitOutcome.CallerGone;
            return (new CalleeCallResult(outcome, Error: exception), null);
        }
        catch (OperationCanceledException exception)
        {
            return (new CalleeCallResult(ExitOutcome.CalleeTimedOut, Error: exception), null);
        }
        catch (HttpRequestException exception)
        {
            return (new CalleeCallResult(ExitOutcome.CalleeUnreachable, exception.Message, exception), null);
        }
    }

    private static void StartDeadline(CancellationTokenSource deadline, TimeSpan within)
    {
        try
        {
            deadline.CancelAfter(within);
        }
        catch (ObjectDisposedException)
        {
            // The call ended first.
        }
    }

    /// <summary>Logs how the request ended and sends the caller's side what <see cref="ExitAnswers"/> says; to a peer that cannot be answered, counts it instead.</summary>
    private async Task SettleAsync(PeerLink link, ExitExchange exchange, CalleeCallResult result)
    {
        var head = exchange.Head;
        if (!link.CanSend)
        {
            SettleOneWay(link, exchange, result);
            return;
        }

        switch (result.Outcome)
        {
            case ExitOutcome.DeadlinePassed:
                HttpProxyLog.ExpiredNotCalled(_logger, exchange.StreamId, head.Method, head.Target);
                break;
            case ExitOutcome.TargetRefused:
                HttpProxyLog.TargetRefused(_logger, exchange.StreamId, head.Target, link.Peer);
                break;
            case ExitOutcome.CalleeUnreachable:
                HttpProxyLog.CalleeUnreachable(_logger, result.Error!, exchange.StreamId, head.Target);
                break;
            case ExitOutcome.CalleeBodyBroken or ExitOutcome.CallerStalled:
                HttpProxyLog.ResponseBroken(_logger, result.Error!, exchange.StreamId, head.Target);
                break;
            case ExitOutcome.CallerGone or ExitOutcome.ProtocolViolation:
                HttpProxyLog.CallAbandoned(_logger, exchange.StreamId, head.Target, exchange.AbortReason ?? ResetReason.CallerGone);
                break;
            case ExitOutcome.Stopping:
                HttpProxyLog.CallAbandoned(_logger, exchange.StreamId, head.Target, exchange.AbortReason ?? ResetReason.NodeRestarted);
                break;
        }

        await ExitFrames.SendAsync(link, exchange.StreamId, ExitAnswers.For(result, head)).ConfigureAwait(false);
    }

    // Nobody hears of a one-way request's end: the log and the link's counters are its only record.
    private void SettleOneWay(PeerLink link, ExitExchange exchange, CalleeCallResult result)
    {
        var head = exchange.Head;
        if (result.Outcome == ExitOutcome.DeadlinePassed)
        {
            var late = TimeSpan.FromMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds() - (head.ExpiresAtUnixMilliseconds ?? 0));
            HttpProxyLog.OneWayLate(_logger, exchange.StreamId, head.Method, head.Target, link.Peer, late);
            link.OneWay.CountLate();
            _metrics.OneWay(link.Peer, "exit", "late");
            return;
        }

        if (result.Outcome == ExitOutcome.Stopping)
        {
            // Settled by the recovery pass when the node starts again.
            HttpProxyLog.CallAbandoned(_logger, exchange.StreamId, head.Target, ResetReason.NodeRestarted);
            return;
        }

        if (result.Error is { } error && result.Outcome is ExitOutcome.CalleeUnreachable)
        {
            HttpProxyLog.CalleeUnreachable(_logger, error, exchange.StreamId, head.Target);
        }

        HttpProxyLog.OneWayFailed(_logger, exchange.StreamId, head.Method, head.Target, link.Peer, result.Outcome.ToString());
        link.OneWay.CountFailed();
        _metrics.OneWay(link.Peer, "exit", "failed");
    }

    private Task CompleteAsync(PeerLink link, ExitExchange exchange, string? callerKey, int? status, byte[]? head, bool kept, byte[]? bodyHash = null, bool remember = false) =>
        _store.CompleteAsync(link.Peer, exchange.StreamId, status is null ? null : callerKey, status, head, kept, _time.GetUtcNow(), bodyHash, remember);

    private async Task PurgeAsync()
    {
        List<string> files;
        try
        {
            var now = _time.GetUtcNow();
            files = await _store.PurgeAsync(now - _options.IdempotencyKeyLifetime, now - _options.OneWayRequestLifetime, _oneWayPeers).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or Microsoft.Data.Sqlite.SqliteException)
        {
            HttpProxyLog.PurgeFailed(_logger, exception);
            return;
        }

        // Their rows are gone: a file that cannot be deleted now is only space, and must not keep the others.
        foreach (var path in files)
        {
            try
            {
                _store.FileSystem.File.Delete(path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                HttpProxyLog.PurgeFailed(_logger, exception);
            }
        }
    }
}
