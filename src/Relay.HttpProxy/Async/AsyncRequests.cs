using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Entry;
using Relay.HttpProxy.Exit;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Async;

/// <summary>
/// The lifecycle of requests whose callers are answered 202 at once (<c>Prefer: respond-async</c>
/// and <c>Relay-Callback</c>): recorded and registered for their response, answered 202, kept as
/// the response arrives (<see cref="AsyncResponseSink"/>), answered 504 past their deadline, and
/// forgotten once their response has expired. Responses are polled through
/// <see cref="AsyncResponseEndpoint"/> and called back through <see cref="CallbackDelivery"/>;
/// all of it survives restarts.
/// </summary>
internal sealed class AsyncRequests : IAsyncDisposable
{
    public const string CallbackHeader = "Relay-Callback";
    public const string RequestIdHeader = "Relay-Request-Id";
    public const string LocationPrefix = "/relay/requests/";

    private readonly IngressOptions _options;
    private readonly AsyncRequestStore _store;
    private readonly IReadOnlyDictionary<string, PeerLink> _links;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TargetAllowList _allowedCallbacks;
    private readonly CallbackDelivery _callbacks;
    private readonly ConcurrentDictionary<Guid, (EntryExchange Exchange, PeerLink Link, DateTimeOffset Created)> _waiting = new();
    private readonly AsyncSweepSchedule _schedule;
    private readonly KeptResponsePurge _purge;
    private readonly AsyncStorageBudget _budget;
    private readonly ITimer _sweep;

    public AsyncRequests(IngressOptions options, AsyncRequestStore store, IReadOnlyDictionary<string, PeerLink> links, TimeProvider time, ILogger logger)
    {
        _options = options;
        _store = store;
        _links = links;
        _time = time;
        _logger = logger;
        _allowedCallbacks = new TargetAllowList(options.AllowedCallbacks);
        _callbacks = new CallbackDelivery(options, store, time, logger);
        _budget = new AsyncStorageBudget(options.MaxAsyncStorageBytes, options.MaxAsyncResponseBytes);
        _budget.Count(store.Bodies.MeasureAll());
        _schedule = new AsyncSweepSchedule(options.AsyncDeadline);
        _purge = new KeptResponsePurge(store, _budget, options.AsyncResponseLifetime, logger);
        Endpoint = new AsyncResponseEndpoint(options, store, time);
        _sweep = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Serves <c>GET /relay/requests/{id}</c>.</summary>
    public AsyncResponseEndpoint Endpoint { get; }

    public int WaitingForResponse => _waiting.Count;

    public int CallbacksBeingDelivered => _callbacks.BeingDelivered;

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
                _callbacks.Start(request.Id);
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

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        await _callbacks.DisposeAsync().ConfigureAwait(false);
        foreach (var (exchange, _, _) in _waiting.Values)
        {
            exchange.Sink?.Dispose();
        }
    }

    private EntryExchange Register(Guid id, PeerLink link, DateTimeOffset created)
    {
        var exchange = new EntryExchange(id, link);
        exchange.Sink = new AsyncResponseSink(
            id, _store, _time, Ended, _budget, _options.MaxAsyncResponseBytes, (problem, why) =>
            {
                HttpProxyLog.AsyncResponseDropped(_logger, id, why);
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
                    _callbacks.Start(id);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
    }

    // Once a second: requests past their deadline are answered 504; now and then, expired responses are forgotten.
    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (id, waiting) in _waiting)
        {
            if (_schedule.IsPastDeadline(waiting.Created, now))
            {
                waiting.Link.Post(FrameWriter.Reset(id, fromInitiator: true, ResetReason.DeadlineExceeded));
                waiting.Exchange.Sink?.Fail(RelayProblem.DeadlineExceeded(_options.AsyncDeadline));
            }
        }

        if (_schedule.TakePurge(now))
        {
            _ = _purge.PurgeAsync(now);
        }
    }
}
