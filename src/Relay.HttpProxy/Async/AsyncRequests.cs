using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Polly;
using Polly.Retry;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Entry;
using Relay.HttpProxy.Exit;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Async;

/// <summary>
/// Requests whose callers are answered 202 at once: <c>Prefer: respond-async</c> (the caller polls
/// <c>/relay/requests/{id}</c>) and <c>Relay-Callback</c> (the response is POSTed to the caller's
/// URL, retried with backoff until accepted or the give-up time). Responses are kept on disk as
/// they arrive and survive restarts, as do callbacks not yet delivered.
/// </summary>
internal sealed class AsyncRequests : IAsyncDisposable
{
    public const string CallbackHeader = "Relay-Callback";
    public const string StatusHeader = "Relay-Status";
    public const string RequestIdHeader = "Relay-Request-Id";
    public const string LocationPrefix = "/relay/requests/";

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly IngressOptions _options;
    private readonly AsyncRequestStore _store;
    private readonly IReadOnlyDictionary<string, PeerLink> _links;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TargetAllowList _allowedCallbacks;
    private readonly HttpClient _callbackClient;
    private readonly ConcurrentDictionary<Guid, (EntryExchange Exchange, PeerLink Link, DateTimeOffset Created)> _waiting = new();
    private readonly ConcurrentDictionary<Guid, Task> _deliveries = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _sweep;
    private readonly AsyncStorageBudget _budget;
    private long _lastPurge;

    public AsyncRequests(IngressOptions options, AsyncRequestStore store, IReadOnlyDictionary<string, PeerLink> links, TimeProvider time, ILogger logger)
    {
        _options = options;
        _store = store;
        _links = links;
        _time = time;
        _logger = logger;
        _allowedCallbacks = new TargetAllowList(options.AllowedCallbacks);
        _callbackClient = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
        _budget = new AsyncStorageBudget(options.MaxAsyncStorageBytes, options.MaxAsyncResponseBytes);
        foreach (var file in new DirectoryInfo(store.BodyDirectory).EnumerateFiles("*.body"))
        {
            _budget.Count(file.Length);
        }

        _sweep = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public int WaitingForResponse => _waiting.Count;

    public int CallbacksBeingDelivered => _deliveries.Count;

    /// <summary>Bytes kept responses use now, and the most they may use.</summary>
    public (long Used, long Limit) Storage => (_budget.Used, _budget.Limit);

    /// <summary>Kept responses fill the storage budget: new requests that want theirs kept are refused.</summary>
    public bool IsStorageFull => _budget.IsFull;

    /// <summary>The mode a request asks for, with its callback URL; null mode to hold the caller.</summary>
    public static (AsyncMode? Mode, string? CallbackUrl) ModeOf(HttpRequest request)
    {
        var callback = request.Headers[CallbackHeader].ToString();
        if (callback.Length > 0)
        {
            return (AsyncMode.Callback, callback.Trim());
        }

        foreach (var preference in request.Headers["Prefer"])
        {
            if (preference is not null && preference.Split(',').Any(p => p.Trim().Equals("respond-async", StringComparison.OrdinalIgnoreCase)))
            {
                return (AsyncMode.Poll, null);
            }
        }

        return (null, null);
    }

    public bool IsCallbackAllowed(string url) => _allowedCallbacks.IsAllowed(url);

    /// <summary>Records a new request and returns its exchange, registered and keeping whatever response comes.</summary>
    public async Task<EntryExchange> BeginAsync(Guid id, PeerLink link, AsyncMode mode, string? callbackUrl)
    {
        var now = _time.GetUtcNow();
        await _store.InsertAsync(id, link.Peer, mode, callbackUrl, now).ConfigureAwait(false);
        return Register(id, link, now);
    }

    /// <summary>Picks up, after a restart, the requests still waiting for a response and the callbacks not yet delivered.</summary>
    public async Task RecoverAsync()
    {
        foreach (var request in await _store.ReadOpenAsync().ConfigureAwait(false))
        {
            if (request.State is AsyncState.Pending or AsyncState.Receiving)
            {
                if (!_links.TryGetValue(request.Peer, out var link))
                {
                    continue;
                }

                var exchange = Register(request.Id, link, request.Created);
                if (!request.Accepted)
                {
                    // The node stopped while the request body was still coming: the caller never got its 202,
                    // and the far side holds half a request. End both.
                    link.Post(FrameWriter.Reset(request.Id, fromInitiator: true, ResetReason.CallerGone));
                    await exchange.Sink!.Fail(RelayProblem.StreamReset(ResetReason.NodeRestarted)).ConfigureAwait(false);
                }
            }
            else if (request.Callback == CallbackState.Pending)
            {
                StartDelivery(request.Id);
            }
        }
    }

    /// <summary>Records that the whole request has gone, then answers the caller: 202, where to look, and what was applied.</summary>
    public async Task AnswerAcceptedAsync(HttpContext context, Guid id, AsyncMode mode)
    {
        await _store.AcceptedAsync(id).ConfigureAwait(false);
        var response = context.Response;
        var location = LocationPrefix + id.ToString("N");
        response.StatusCode = StatusCodes.Status202Accepted;
        response.Headers.Location = location;
        response.Headers[RequestIdHeader] = id.ToString("N");
        if (mode == AsyncMode.Poll)
        {
            response.Headers["Preference-Applied"] = "respond-async";
        }

        await response.WriteAsJsonAsync(new AsyncAcceptedDocument(id.ToString("N"), "pending", location), AsyncJsonContext.Default.AsyncAcceptedDocument, cancellationToken: context.RequestAborted)
            .ConfigureAwait(false);
    }

    /// <summary><c>GET /relay/requests/{id}</c>: 202 while pending, then the kept response, 404 once it has expired.</summary>
    public async Task ServeAsync(HttpContext context, string id)
    {
        var request = Guid.TryParse(id, out var guid) ? await _store.FindAsync(guid).ConfigureAwait(false) : null;
        if (request is null || request.Completed is { } completed && _time.GetUtcNow() - completed > _options.AsyncResponseLifetime)
        {
            await RelayProblem.WriteAsync(context, RelayProblem.UnknownRequest(id)).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        switch (request.State)
        {
            case AsyncState.Pending or AsyncState.Receiving:
                response.StatusCode = StatusCodes.Status202Accepted;
                response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                await response.WriteAsJsonAsync(new AsyncAcceptedDocument(id, "pending", LocationPrefix + id), AsyncJsonContext.Default.AsyncAcceptedDocument, cancellationToken: context.RequestAborted)
                    .ConfigureAwait(false);
                return;
            case AsyncState.Failed:
                response.StatusCode = request.Status ?? StatusCodes.Status502BadGateway;
                response.ContentType = RelayProblem.ContentType;
                await response.Body.WriteAsync(request.Head ?? [], context.RequestAborted).ConfigureAwait(false);
                return;
        }

        if (request.ResponseHead is not { } head)
        {
            // Kept by a node that wrote another head format: what it kept cannot be given back.
            await RelayProblem.WriteAsync(context, RelayProblem.StreamReset(ResetReason.ProtocolViolation)).ConfigureAwait(false);
            return;
        }

        response.StatusCode = head.Status;
        head.Headers.AppendTo(response.Headers);

        if (head.ContentLength is { } length && head.Status is not (StatusCodes.Status204NoContent or StatusCodes.Status304NotModified))
        {
            response.ContentLength = length;
        }

        await using var body = new StoredBodyReader(_store.BodyPath(guid), request.DeclaredLength);
        try
        {
            await body.CopyToAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Streams.StreamResetException)
        {
            context.Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_deliveries.Values).ConfigureAwait(false);
        foreach (var (exchange, _, _) in _waiting.Values)
        {
            exchange.Sink?.Dispose();
        }

        _callbackClient.Dispose();
        _stopping.Dispose();
    }

    private EntryExchange Register(Guid id, PeerLink link, DateTimeOffset created)
    {
        var exchange = new EntryExchange(id, link);
        exchange.Sink = new AsyncResponseSink(
            id, _store, _time, Ended, _budget, _options.MaxAsyncResponseBytes, problem =>
            {
                HttpProxyLog.AsyncResponseDropped(_logger, id, problem.Detail!);
                link.Post(FrameWriter.Reset(id, fromInitiator: true, ResetReason.ResponseTooLarge));
            });
        _waiting[id] = (exchange, link, created);
        link.Register(exchange);
        return exchange;
    }

    // The response is wholly kept (or failed): the stream is done; a callback can go once the state has committed.
    private void Ended(Guid id, Task committed)
    {
        if (!_waiting.TryRemove(id, out var waiting))
        {
            return;
        }

        waiting.Link.Unregister(waiting.Exchange);
        _ = committed.ContinueWith(
            task =>
            {
                waiting.Exchange.Sink?.Dispose();
                waiting.Exchange.Dispose();
                if (task.IsCompletedSuccessfully)
                {
                    StartDelivery(id);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    private void StartDelivery(Guid id)
    {
        var delivery = new TaskCompletionSource();
        if (!_deliveries.TryAdd(id, delivery.Task))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await DeliverAsync(id).ConfigureAwait(false);
            }
            finally
            {
                _deliveries.TryRemove(id, out _);
                delivery.TrySetResult();
            }
        });
    }

    private async Task DeliverAsync(Guid id)
    {
        var request = await _store.FindAsync(id).ConfigureAwait(false);
        if (request is not { Mode: AsyncMode.Callback, Callback: CallbackState.Pending, CallbackUrl: { } url })
        {
            return;
        }

        if (!request.Accepted)
        {
            // The caller was never told 202 (its request did not arrive whole): it expects no callback.
            await _store.CallbackEndedAsync(id, CallbackState.Abandoned).ConfigureAwait(false);
            return;
        }

        var attempts = request.CallbackAttempts;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>(_ => !_stopping.IsCancellationRequested)
                    .HandleResult(response => !response.IsSuccessStatusCode),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.CallbackFirstRetryDelay,
                MaxDelay = _options.CallbackMaxRetryDelay,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = arguments =>
                {
                    HttpProxyLog.CallbackRetrying(_logger, id, url, CallbackFailure(arguments.Outcome), arguments.AttemptNumber + 1, arguments.RetryDelay);
                    arguments.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

        // Counted from the request, so a restart does not extend it.
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var remaining = request.Created + _options.CallbackGiveUpAfter - _time.GetUtcNow();
        giveUp.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        try
        {
            using var response = await pipeline.ExecuteAsync(
                async cancellationToken =>
                {
                    await _store.CallbackAttemptedAsync(id, ++attempts).ConfigureAwait(false);
                    using var callback = BuildCallback(request, url);
                    return await _callbackClient.SendAsync(callback, cancellationToken).ConfigureAwait(false);
                },
                giveUp.Token).ConfigureAwait(false);
            await _store.CallbackEndedAsync(id, CallbackState.Delivered).ConfigureAwait(false);
            HttpProxyLog.CallbackDelivered(_logger, id, url, attempts);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the callback stays pending and is picked up again at the next start.
        }
        catch (OperationCanceledException)
        {
            await _store.CallbackEndedAsync(id, CallbackState.Abandoned).ConfigureAwait(false);
            HttpProxyLog.CallbackAbandoned(_logger, id, url, attempts, _options.CallbackGiveUpAfter);
        }
    }

    private HttpRequestMessage BuildCallback(AsyncRequest request, string url)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, url);
        HttpContent content;
        int status;
        if (request.State == AsyncState.Complete && request.ResponseHead is { } head)
        {
            status = head.Status;
            content = new StreamContent(new StoredBodyReader(_store.BodyPath(request.Id), request.DeclaredLength));
            content.Headers.ContentLength = head.ContentLength;
            message.Content = content;
            head.Headers.AddTo(message);
        }
        else
        {
            status = request.Status ?? StatusCodes.Status502BadGateway;
            content = new ByteArrayContent(request.Head ?? []);
            content.Headers.ContentType = new(RelayProblem.ContentType);
        }

        message.Content = content;
        message.Headers.TryAddWithoutValidation(StatusHeader, status.ToString(CultureInfo.InvariantCulture));
        message.Headers.TryAddWithoutValidation(RequestIdHeader, request.Id.ToString("N"));
        return message;
    }

    // Once a second: requests past their deadline are answered 504; now and then, expired responses are forgotten.
    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (id, waiting) in _waiting)
        {
            if (now - waiting.Created > _options.AsyncDeadline)
            {
                waiting.Link.Post(FrameWriter.Reset(id, fromInitiator: true, ResetReason.DeadlineExceeded));
                waiting.Exchange.Sink?.Fail(RelayProblem.DeadlineExceeded(_options.AsyncDeadline));
            }
        }

        if (now.ToUnixTimeSeconds() - Interlocked.Read(ref _lastPurge) >= 60)
        {
            Interlocked.Exchange(ref _lastPurge, now.ToUnixTimeSeconds());
            _ = PurgeAsync(now);
        }
    }

    private async Task PurgeAsync(DateTimeOffset now)
    {
        try
        {
            foreach (var id in await _store.PurgeAsync(now - _options.AsyncResponseLifetime).ConfigureAwait(false))
            {
                var body = new FileInfo(_store.BodyPath(id));
                if (body.Exists)
                {
                    var length = body.Length;
                    body.Delete();
                    _budget.Give(length);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException or Microsoft.Data.Sqlite.SqliteException)
        {
            HttpProxyLog.PurgeFailed(_logger, exception);
        }
    }

    /// <summary>Why one callback attempt failed, as an operator needs it: refused, timed out, or the receiver's status.</summary>
    internal static string CallbackFailure(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result: { } response } => string.Create(CultureInfo.InvariantCulture, $"the receiver answered {(int)response.StatusCode} {response.ReasonPhrase}"),
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } failure } => "the connection failed: " + failure.Message,
        { Exception: HttpRequestException failure } => $"{failure.HttpRequestError}: {failure.Message}",
        { Exception: TaskCanceledException or TimeoutException } => "the attempt timed out",
        { Exception: { } other } => other.Message,
        _ => "unknown",
    };
}
