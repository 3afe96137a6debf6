using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Http;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.State;
using Relay.HttpProxy.Streams;
using Relay.Layer1;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// The exit side: replays requests from peers to callees on the egress allowlist and streams the
/// responses back.
/// </summary>
/// <remarks>
/// For each request head:
/// 1. Refuse targets off the allowlist (403 problem).
/// 2. If the caller sent an <c>Idempotency-Key</c> that already has a kept response, answer with it.
/// 3. Record the request durably, then mark its message handled: from here a crash cannot lose it,
///    and the record says the callee may have seen it.
/// 4. Call the callee (502 problem if it cannot be reached, 504 if the caller's deadline passes
///    first) and stream the response back within the caller's credit.
/// 5. Complete the record (keeping the response when the caller sent a key).
/// After a crash, recorded but unfinished requests are called again when their method is idempotent
/// and their body was inline in the head; otherwise the caller gets 502 with <c>Relay-Outcome: unknown</c>.
/// </remarks>
internal sealed class ExitDispatcher : IAsyncDisposable
{
    private static readonly HashSet<string> IdempotentMethods = new(StringComparer.OrdinalIgnoreCase)
    {
        "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE",
    };

    private readonly EgressOptions _options;
    private readonly ExchangeStore _store;
    private readonly HttpMessageInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TargetAllowList _allowed;
    private readonly ConcurrentDictionary<(string Peer, string Scope, string Key), Task> _keysInFlight = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _purgeTimer;

    private readonly HttpProxyMetrics _metrics;

    public ExitDispatcher(EgressOptions options, ExchangeStore store, HttpMessageInvoker invoker, TimeProvider time, ILogger logger, HttpProxyMetrics metrics)
    {
        _metrics = metrics;
        _options = options;
        _store = store;
        _invoker = invoker;
        _time = time;
        _logger = logger;
        _allowed = new TargetAllowList(options.AllowedTargets);
        _purgeTimer = time.CreateTimer(_ => Track(PurgeAsync()), null, TimeSpan.Zero, TimeSpan.FromMinutes(1));
    }

    /// <summary>Answers a request head on a node that has no egress, so its caller is not left waiting.</summary>
    public static void RefuseWithoutEgress(PeerLink link, Frame frame, ILogger logger)
    {
        HttpProxyLog.RefusedWithoutEgress(logger, frame.StreamId, link.Peer);
        var problem = RelayProblem.NoEgress(link.Peer);
        link.Post(ProblemFrame(frame.StreamId, problem, []));
    }

    /// <summary>Takes a request head from the link's loop; the work continues in the background.</summary>
    public void Accept(PeerLink link, Frame frame, ReceivedMessage message)
    {
        var head = frame.RequestHead!;
        var exchange = new ExitExchange(frame.StreamId, link, head);
        if (!link.TryRegister(exchange))
        {
            exchange.Dispose();
            link.MarkHandled(message);
            return;
        }

        if (!frame.Body.IsEmpty || frame.EndOfBody)
        {
            exchange.OnRequestData(BodyChunk.Of(frame));
        }

        // Requests with the same key run one after another, in channel order, so a repeat sees the first's response.
        var callerKey = head.Headers.FirstValue("Idempotency-Key");
        var scope = callerKey is null ? null : IdempotencyScope.Of(head);
        Task? previous = null;
        TaskCompletionSource? done = null;
        if (callerKey is not null)
        {
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var key = (link.Peer, scope!, callerKey);
            _keysInFlight.TryGetValue(key, out previous);
            _keysInFlight[key] = done.Task;
        }

        var retry = IdempotentMethods.Contains(head.Method) && frame.EndOfBody ? RetryRecord.Of(frame) : null;
        Track(HandleAsync(link, exchange, message, callerKey, scope, retry, previous, done, wholeInHead: frame.EndOfBody || !head.HasBody));
    }

    /// <summary>Settles the requests that were with a callee when this node stopped.</summary>
    public async Task RecoverAsync(IReadOnlyDictionary<string, PeerLink> links)
    {
        foreach (var stored in await _store.ReadUnfinishedAsync().ConfigureAwait(false))
        {
            if (!links.TryGetValue(stored.Peer, out var link))
            {
                await _store.CompleteAsync(stored.Peer, stored.StreamId, null, null, null, false, _time.GetUtcNow()).ConfigureAwait(false);
                continue;
            }

            if (stored.RetryHead is { } retryHead && FramePayloads.TryDecode<RequestHead>(retryHead, out var head))
            {
                var exchange = new ExitExchange(stored.StreamId, link, head);
                if (!link.TryRegister(exchange))
                {
                    exchange.Dispose();
                    continue;
                }

                exchange.OnRequestData(BodyChunk.Whole(stored.RetryBody ?? []));
                exchange.HeadIsHandled();
                HttpProxyLog.RetryingAfterRestart(_logger, stored.StreamId, stored.Method, stored.Target);
                Track(RetryAsync(link, exchange, stored.CallerKey));
                continue;
            }

            HttpProxyLog.OutcomeUnknown(_logger, stored.StreamId, stored.Method, stored.Target);
            _metrics.OutcomeUnknown(stored.Peer);
            await SendProblemAsync(link, stored.StreamId, RelayProblem.OutcomeUnknown(stored.Method), [new(RelayProblem.OutcomeHeader, "unknown")]).ConfigureAwait(false);

            // Not kept under the caller's key: a repeat goes to the callee again, with the same key, for it to judge.
            await _store.CompleteAsync(stored.Peer, stored.StreamId, null, null, null, false, _time.GetUtcNow()).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _purgeTimer.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static byte[] ProblemFrame(Guid streamId, ProblemDetails problem, HeaderList extraHeaders)
    {
        var body = RelayProblem.Serialize(problem);
        var head = new ResponseHead(problem.Status ?? 500, [new(HeaderNames.ContentType, RelayProblem.ContentType), .. extraHeaders], body.Length);
        using var frame = new OutgoingFrame(body.Length + 512);
        using var encoder = new BodyEncoder(BodyCodec.None);
        frame.BeginResponse(streamId, head);
        frame.AppendBody(new System.Buffers.ReadOnlySequence<byte>(body), encoder);
        frame.EndBody(body.Length);
        return frame.Memory.ToArray();
    }

    private static async Task SendProblemAsync(PeerLink link, Guid streamId, ProblemDetails problem, HeaderList extraHeaders) =>
        await link.SendAsync(ProblemFrame(streamId, problem, extraHeaders), CancellationToken.None).ConfigureAwait(false);

    private void Track(Task task)
    {
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task HandleAsync(
        PeerLink link, ExitExchange exchange, ReceivedMessage message, string? callerKey, string? scope, RetryRecord? retry, Task? previous, TaskCompletionSource? done, bool wholeInHead)
    {
        var head = exchange.Head;
        try
        {
            if (previous is not null)
            {
                await previous.ConfigureAwait(false);
            }

            // Whole and already past its deadline: the caller has had its 504, so calling now would do work nobody waits for.
            if (head.ExpiresAtUnixMilliseconds is { } expires && wholeInHead
                && _time.GetUtcNow().ToUnixTimeMilliseconds() > expires + (long)_options.ClockSkewAllowance.TotalMilliseconds)
            {
                HttpProxyLog.ExpiredNotCalled(_logger, exchange.StreamId, head.Method, head.Target);
                await SendProblemAsync(link, exchange.StreamId, RelayProblem.DeadlineExceeded(TimeSpan.FromMilliseconds(head.DeadlineMilliseconds)), [new(RelayProblem.OutcomeHeader, "not-sent")]).ConfigureAwait(false);
                link.MarkHandled(message);
                return;
            }

            if (!_allowed.IsAllowed(head.Target))
            {
                HttpProxyLog.TargetRefused(_logger, exchange.StreamId, head.Target, link.Peer);
                await SendProblemAsync(link, exchange.StreamId, RelayProblem.TargetNotAllowed(head.Target), []).ConfigureAwait(false);
                link.MarkHandled(message);
                return;
            }

            if (callerKey is not null && await _store.FindResponseAsync(link.Peer, scope!, callerKey).ConfigureAwait(false) is { } kept)
            {
                await AnswerRepeatAsync(link, exchange, callerKey, kept).ConfigureAwait(false);
                link.MarkHandled(message);
                return;
            }

            var inserted = await _store.InsertAsync(
                new StoredExchange(link.Peer, exchange.StreamId, head.Method, head.Target, callerKey, retry?.Head, retry?.Body) { Scope = scope }, _time.GetUtcNow()).ConfigureAwait(false);
            exchange.HeadIsHandled();
            link.MarkHandled(message);
            if (!inserted)
            {
                // Delivered again after a restart: the recovery pass has settled it.
                return;
            }

            await CallAsync(link, exchange, callerKey).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || _stopping.IsCancellationRequested)
        {
            HttpProxyLog.ExchangeFailed(_logger, exception, exchange.StreamId, head.Target);
        }
        finally
        {
            link.Unregister(exchange);
            exchange.Dispose();
            if (done is not null)
            {
                done.TrySetResult();
                _keysInFlight.TryRemove(new KeyValuePair<(string, string, string), Task>((link.Peer, scope!, callerKey!), done.Task));
            }
        }
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
        var head = exchange.Head;
        using var hashed = callerKey is not null && head.HasBody ? new BodyHashingStream(exchange.RequestBody) : null;
        using var request = BuildRequest(exchange, callerKey, hashed);
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

        HttpResponseMessage response;
        try
        {
            response = await _invoker.SendAsync(request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (exchange.Aborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // The caller gave up (or this node is stopping); nobody is waiting for an answer.
            HttpProxyLog.CallAbandoned(_logger, exchange.StreamId, head.Target, exchange.AbortReason ?? ResetReason.NodeRestarted);
            if (!_stopping.IsCancellationRequested)
            {
                await CompleteAsync(link, exchange, callerKey, null, null, false).ConfigureAwait(false);
            }

            return;
        }
        catch (OperationCanceledException)
        {
            await SendProblemAsync(link, exchange.StreamId, RelayProblem.CalleeTimedOut(head.Target), []).ConfigureAwait(false);
            await CompleteAsync(link, exchange, callerKey, null, null, false).ConfigureAwait(false);
            return;
        }
        catch (HttpRequestException exception)
        {
            HttpProxyLog.CalleeUnreachable(_logger, exception, exchange.StreamId, head.Target);
            await SendProblemAsync(link, exchange.StreamId, RelayProblem.CalleeUnreachable(head.Target, exception.Message), []).ConfigureAwait(false);
            await CompleteAsync(link, exchange, callerKey, null, null, false).ConfigureAwait(false);
            return;
        }

        using (response)
        {
            var content = response.Content;
            var responseHead = new ResponseHead(
                (int)response.StatusCode,
                // As the callee sent them: the raw field lines, never re-parsed (parsing splits Server into products and reorders Cache-Control).
                HeaderRules.Flatten(
                    response.Headers.NonValidated.Concat(content.Headers.NonValidated).Select(h => new KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>(h.Key, h.Value.ToArray())),
                    response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var connection) ? string.Join(',', connection) : null),
                content.Headers.ContentLength);
            // The entry side chose the codec for the link; content already compressed goes raw whatever it chose.
            var codec = HeaderRules.IsWorthCompressing(string.Join(',', content.Headers.ContentEncoding), content.Headers.ContentType?.MediaType)
                ? head.ResponseCodec
                : BodyCodec.None;
            using var tee = callerKey is null ? null : new ResponseFileTee(_store.BodyPath(link.Peer, exchange.StreamId), _options.MaxStoredResponseBytes);
            var body = await content.ReadAsStreamAsync(exchange.Aborted).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: link.Options.ChunkBytes, leaveOpen: true));
                try
                {
                    var sent = await SendResponseAsync(link, exchange, responseHead, reader, codec, tee).ConfigureAwait(false);
                    if (!sent)
                    {
                        await CompleteAsync(link, exchange, callerKey, null, null, false).ConfigureAwait(false);
                        return;
                    }
                }
                finally
                {
                    await reader.CompleteAsync().ConfigureAwait(false);
                }
            }

            var kept = tee?.Commit() ?? false;

            // A callee may answer before reading the whole body; a repeat is judged against all of it.
            var bodyHash = callerKey is null ? null : hashed is null ? BodyHashingStream.EmptyBodyHash : hashed.Hash ?? await hashed.ReadToEndAsync(exchange.Aborted).ConfigureAwait(false);
            await CompleteAsync(link, exchange, callerKey, responseHead.Status, FramePayloads.ToBytes(responseHead), kept, bodyHash).ConfigureAwait(false);
            HttpProxyLog.RequestServed(_logger, exchange.StreamId, head.Method, head.Target, responseHead.Status);
            _metrics.Served(link.Peer, responseHead.Status);
        }
    }

    /// <summary>Sends a response head and body; false when the stream ended early (reset, or the callee's body broke off).</summary>
    private async Task<bool> SendResponseAsync(PeerLink link, ExitExchange exchange, ResponseHead head, PipeReader body, BodyCodec codec, ResponseFileTee? tee)
    {
        using var encoder = new BodyEncoder(codec);
        using var frame = new OutgoingFrame(BodyBlock.MaxEncodedLength(link.Options.ChunkBytes) + 4096);
        frame.BeginResponse(exchange.StreamId, head);
        long sentInline = 0;
        var complete = false;
        try
        {
            // A small declared body is worth waiting for: head and body then travel as one message.
            if (head.ContentLength is { } length && length <= link.Options.ChunkBytes)
            {
                var first = await body.ReadAtLeastAsync((int)Math.Max(length, 1), exchange.Aborted).ConfigureAwait(false);
                var take = first.Buffer.Slice(0, Math.Min(first.Buffer.Length, link.Options.ChunkBytes));
                tee?.Append(take);
                frame.AppendBody(take, encoder);
                sentInline = take.Length;
                complete = first.IsCompleted && take.Length == first.Buffer.Length;
                body.AdvanceTo(take.End);
            }

            if (complete)
            {
                frame.EndBody(sentInline);
            }

            await BodyPump.SendChunkAsync(link, frame, exchange.DownloadWindow, exchange.Aborted).ConfigureAwait(false);
            if (!complete)
            {
                await BodyPump.SendAsync(link, exchange.StreamId, fromInitiator: false, body, encoder, exchange.DownloadWindow, sentInline, null, tee, exchange.Aborted)
                    .ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception exception) when (exception is OperationCanceledException or StreamResetException or TimeoutException && exchange.Aborted.IsCancellationRequested)
        {
            HttpProxyLog.CallAbandoned(_logger, exchange.StreamId, exchange.Head.Target, exchange.AbortReason ?? ResetReason.CallerGone);
            return false;
        }
        catch (Exception exception) when (exception is IOException or HttpRequestException or TimeoutException)
        {
            // The callee's body broke off (or the caller stopped granting room): the caller must not take what came as whole.
            var reason = exception is TimeoutException ? ResetReason.Idle : ResetReason.SourceFailed;
            HttpProxyLog.ResponseBroken(_logger, exception, exchange.StreamId, exchange.Head.Target);
            link.Post(FrameWriter.Reset(exchange.StreamId, fromInitiator: false, reason));
            return false;
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

    private static HttpRequestMessage BuildRequest(ExitExchange exchange, string? callerKey, BodyHashingStream? hashed)
    {
        var head = exchange.Head;
        var request = new HttpRequestMessage(new HttpMethod(head.Method), head.Target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (head.HasBody)
        {
            var content = new StreamContent(hashed ?? (Stream)exchange.RequestBody, 64 * 1024);
            content.Headers.ContentLength = head.ContentLength;
            request.Content = content;
        }

        string? forwardedFor = null;
        string? forwarded = null;
        foreach (var (name, value) in head.Headers)
        {
            // Host and scheme are set from the head below, never appended to what came (a trusted proxy's view is already in the head).
            if (string.Equals(name, HeaderNames.Expect, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, "X-Forwarded-Host", StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, "X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // A chain only a trusted proxy's headers can have started: this hop is added to its end.
            if (string.Equals(name, "X-Forwarded-For", StringComparison.OrdinalIgnoreCase))
            {
                forwardedFor = forwardedFor is null ? value : forwardedFor + ", " + value;
                continue;
            }

            if (string.Equals(name, "Forwarded", StringComparison.OrdinalIgnoreCase))
            {
                forwarded = forwarded is null ? value : forwarded + ", " + value;
                continue;
            }

            HeaderList.AddField(request, name, value);
        }

        // RFC 7239 and the de facto X-Forwarded-* set: who called, and how.
        var caller = head.CallerAddress;
        var forNode = caller is null ? "unknown" : caller.Contains(':', StringComparison.Ordinal) ? $"\"[{caller}]\"" : caller;
        var thisHop = $"for={forNode};host=\"{head.CallerHost}\";proto={head.CallerScheme}";
        request.Headers.TryAddWithoutValidation("Forwarded", forwarded is null ? thisHop : $"{forwarded}, {thisHop}");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", caller is null ? forwardedFor : forwardedFor is null ? caller : $"{forwardedFor}, {caller}");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", head.CallerHost);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", head.CallerScheme);
        if (callerKey is null)
        {
            // One key per relayed request, the same when it is repeated after a restart, so the callee can tell.
            request.Headers.TryAddWithoutValidation("Idempotency-Key", $"\"{exchange.StreamId}\"");
        }

        return request;
    }

    private async Task AnswerRepeatAsync(PeerLink link, ExitExchange exchange, string callerKey, StoredResponse kept)
    {
        var head = exchange.Head;
        if (!string.Equals(kept.Method, head.Method, StringComparison.OrdinalIgnoreCase) || kept.Target != head.Target)
        {
            await SendProblemAsync(link, exchange.StreamId, RelayProblem.IdempotencyKeyReused(callerKey, "method or target"), []).ConfigureAwait(false);
            return;
        }

        // The repeat's body is read whole before anything is answered: the same key with another body is another request.
        byte[]? bodyHash = BodyHashingStream.EmptyBodyHash;
        if (head.HasBody)
        {
            using var hashed = new BodyHashingStream(exchange.RequestBody);
            bodyHash = await hashed.ReadToEndAsync(exchange.Aborted).ConfigureAwait(false);
            if (bodyHash is null)
            {
                // The caller's body broke off: nobody waits for an answer.
                return;
            }
        }

        if (kept.RequestBodyHash is { } first && !first.AsSpan().SequenceEqual(bodyHash))
        {
            await SendProblemAsync(link, exchange.StreamId, RelayProblem.IdempotencyKeyReused(callerKey, "body"), []).ConfigureAwait(false);
            return;
        }

        var path = _store.BodyPath(link.Peer, kept.StreamId);
        if (!kept.BodyStored || kept.Head is not { } stored || !File.Exists(path))
        {
            await SendProblemAsync(link, exchange.StreamId, RelayProblem.ResponseNotStored(callerKey), []).ConfigureAwait(false);
            return;
        }

        var replayed = stored with { Headers = stored.Headers.With("Relay-Replayed", "true") };
        HttpProxyLog.AnsweredFromStore(_logger, exchange.StreamId, callerKey);
        _metrics.ReplayedFromStore(link.Peer);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            var reader = PipeReader.Create(file, new StreamPipeReaderOptions(bufferSize: link.Options.ChunkBytes, leaveOpen: true));
            try
            {
                await SendResponseAsync(link, exchange, replayed, reader, head.ResponseCodec, tee: null).ConfigureAwait(false);
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    private Task CompleteAsync(PeerLink link, ExitExchange exchange, string? callerKey, int? status, byte[]? head, bool kept, byte[]? bodyHash = null) =>
        _store.CompleteAsync(link.Peer, exchange.StreamId, status is null ? null : callerKey, status, head, kept, _time.GetUtcNow(), bodyHash);

    private async Task PurgeAsync()
    {
        try
        {
            foreach (var path in await _store.PurgeAsync(_time.GetUtcNow() - _options.IdempotencyKeyLifetime).ConfigureAwait(false))
            {
                File.Delete(path);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException or Microsoft.Data.Sqlite.SqliteException)
        {
            HttpProxyLog.PurgeFailed(_logger, exception);
        }
    }
}
