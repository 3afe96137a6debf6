using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Relay.HttpProxy.Async;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Http;
using Relay.HttpProxy.Problems;
using Relay.HttpProxy.Protocol;
using Relay.HttpProxy.Streams;
using Relay.Layer1;

namespace Relay.HttpProxy.Entry;

/// <summary>
/// The entry side: takes a caller's request on the ingress listener and carries it to the route's
/// peer, holding the caller until the response comes back.
/// </summary>
/// <remarks>
/// 1. Match the route (404 problem if none) and check a declared body length (413).
/// 2. Send the request head, with the body inline when it is small and already here. Once layer 1
///    has made that message durable the request is accepted: it reaches the callee even if this node
///    dies now.
/// 3. Stream the rest of the body, chunk by chunk, within the stream's credit.
/// 4. Once the request body has gone, wait for the response head until the deadline (504 problem), then
///    stream the response body to the caller.
///    A body that breaks off aborts the caller's connection: a short response never looks complete.
/// 5. If the caller hangs up, tell the far side to stop.
/// On a route whose peer sends nothing back (<see cref="PeerDirection.SendOnly"/>) a request that
/// needs a response is refused with 501 before any of it is read (<see cref="OneWayPolicy"/>); any
/// other is sent as above, without waiting for credit, and answered 202 once all of it is durable.
/// </remarks>
internal sealed class EntryForwarder
{
    private const int CopyBufferBytes = 64 * 1024;

    /// <summary>Says whether a response on a caching route came from the cache (<c>hit</c>) or over the link (<c>miss</c>).</summary>
    private const string CacheStatusHeader = "X-Cache";

    private readonly IReadOnlyDictionary<string, PeerLink> _links;
    private readonly IngressOptions _options;
    private readonly RouteTable _routes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpProxyMetrics _metrics;

    private readonly AsyncRequests _async;
    private readonly TrustedProxies _trustedProxies;
    private readonly ConcurrentDictionary<string, StrongBox<int>> _streamsPerPeer = new(StringComparer.Ordinal);
    private readonly ResponseCache _cache;

    public EntryForwarder(IReadOnlyDictionary<string, PeerLink> links, IngressOptions options, TimeProvider time, ILogger logger, HttpProxyMetrics metrics, AsyncRequests asyncRequests)
    {
        _async = asyncRequests;
        _metrics = metrics;
        _links = links;
        _options = options;
        _routes = new RouteTable(options.Routes);
        _trustedProxies = new TrustedProxies(options.TrustedProxies);
        _cache = new ResponseCache(options.CacheMaxEntryBytes, options.CacheMaxBytes, time);
        _time = time;
        _logger = logger;
    }

    /// <summary>Describes what is wrong with the link to a peer, for 504 problems; see <see cref="HttpRelay.DescribePeerTrouble"/>.</summary>
    public Func<string, string>? DescribePeerTrouble { get; set; }

    /// <summary>The routes' TTL cache (<see cref="IngressRouteOptions.CacheTtl"/>).</summary>
    public ResponseCache Cache => _cache;

    public async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.ToUriComponent();
        // Before routing: the raw target, since the server has already decoded and normalised the path.
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path;
        var rawPath = rawTarget.Split('?', 2)[0];
        if (PathSafety.Problem(rawPath) is { } unsafePath)
        {
            HttpProxyLog.UnsafePathRefused(_logger, unsafePath);
            await RelayProblem.WriteAsync(context, RelayProblem.UnsafePath(unsafePath)).ConfigureAwait(false);
            return;
        }

        if (!_routes.TryMatch(path, request.QueryString.ToUriComponent(), out var route, out var target))
        {
            await RelayProblem.WriteAsync(context, RelayProblem.UnknownRoute(path)).ConfigureAwait(false);
            return;
        }

        // Before anything is read or sent: nothing of a request refused here crosses the link.
        var oneWay = !_links[route.Peer].CanReceive;
        if (oneWay && OneWayPolicy.NeedsResponse(context) is { } asked)
        {
            HttpProxyLog.OneWayRefused(_logger, request.Method, target, route.Peer, asked);
            _links[route.Peer].OneWay.CountRefused();
            _metrics.OneWay(route.Peer, "entry", "refused");
            context.Response.Headers[RelayProblem.OutcomeHeader] = "not-sent";
            await RelayProblem.WriteAsync(context, RelayProblem.OneWayRoute(route.Peer, asked)).ConfigureAwait(false);
            return;
        }

        if (request.ContentLength > _options.MaxRequestBodyBytes)
        {
            await RelayProblem.WriteAsync(context, RelayProblem.BodyTooLarge(_options.MaxRequestBodyBytes)).ConfigureAwait(false);
            return;
        }

        // The relay enforces its own limit, with its own problem response.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        // A one-way request asks for no response mode (those were refused above) and has nothing to cache.
        var (mode, callbackUrl) = oneWay ? (null, null) : AsyncRequests.ModeOf(request);
        if (mode == AsyncMode.Callback && !_async.IsCallbackAllowed(callbackUrl!))
        {
            await RelayProblem.WriteAsync(context, RelayProblem.CallbackNotAllowed(callbackUrl!)).ConfigureAwait(false);
            return;
        }

        if (mode is not null && _async.IsStorageFull)
        {
            // Room comes back as kept responses expire; the purge that deletes them runs every minute.
            var (used, limit) = _async.Storage;
            HttpProxyLog.AsyncStorageFull(_logger, used, limit);
            context.Response.Headers.RetryAfter = "60";
            await RelayProblem.WriteAsync(context, RelayProblem.AsyncStorageFull(used, limit, _options.MaxAsyncResponseBytes)).ConfigureAwait(false);
            return;
        }

        var use = mode is null && !oneWay ? CachePolicy.Of(request, route) : CacheRequestUse.None;
        var cacheTarget = route.PathPrefix + " " + target;
        CacheFill? fill = null;
        if (use == CacheRequestUse.Lookup)
        {
            var key = _cache.KeyFor(cacheTarget, request.Headers);
            if (await TryAnswerFromCacheAsync(context, route, target, key).ConfigureAwait(false))
            {
                return;
            }

            // One GET per key crosses the link at a time: the others wait for its answer and take it if it was kept.
            if (HttpMethods.IsGet(request.Method))
            {
                (fill, var wait) = _cache.JoinFill(key);
                if (wait is not null)
                {
                    try
                    {
                        await wait.WaitAsync(context.RequestAborted).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                    {
                        return;
                    }

                    if (await TryAnswerFromCacheAsync(context, route, target, _cache.KeyFor(cacheTarget, request.Headers)).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }

        try
        {
            await ForwardCountedAsync(context, route, target, mode, callbackUrl, new CacheUse(use, cacheTarget, fill)).ConfigureAwait(false);
        }
        finally
        {
            fill?.Dispose();
        }
    }

    private async Task ForwardCountedAsync(HttpContext context, IngressRouteOptions route, string target, AsyncMode? mode, string? callbackUrl, CacheUse caching)
    {
        var link = _links[route.Peer];
        var streams = _streamsPerPeer.GetOrAdd(route.Peer, _ => new StrongBox<int>());
        if (Interlocked.Increment(ref streams.Value) > _options.MaxConcurrentStreams)
        {
            Interlocked.Decrement(ref streams.Value);
            HttpProxyLog.TooManyStreams(_logger, route.Peer, _options.MaxConcurrentStreams);
            context.Response.Headers.RetryAfter = "1";
            await RelayProblem.WriteAsync(context, RelayProblem.TooManyStreams(route.Peer, _options.MaxConcurrentStreams)).ConfigureAwait(false);
            return;
        }

        try
        {
            await ForwardToPeerAsync(context, route, target, link, mode, callbackUrl, caching).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref streams.Value);
        }
    }

    /// <summary>Answers a GET or HEAD from a fresh kept response; false when there is none.</summary>
    private async Task<bool> TryAnswerFromCacheAsync(HttpContext context, IngressRouteOptions route, string target, string key)
    {
        if (_cache.TryGet(key) is not { } cached)
        {
            return false;
        }

        var age = cached.AgeSecondsAt(_time.GetUtcNow());
        _cache.CountHit();
        _metrics.Cache(route.Peer, hit: true);
        HttpProxyLog.AnsweredFromCache(_logger, context.Request.Method, target, age);
        var response = context.Response;
        response.StatusCode = cached.Status;
        cached.Headers.AppendTo(response.Headers);
        response.Headers.Age = age.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[CacheStatusHeader] = "hit";
        if (cached.Status is not (StatusCodes.Status204NoContent or StatusCodes.Status304NotModified))
        {
            response.ContentLength = cached.Body.Length;
        }

        try
        {
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await response.Body.WriteAsync(cached.Body, context.RequestAborted).ConfigureAwait(false);
            }

            await response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (IsCallerGone(exception, context))
        {
            // Nothing crossed the link for it: nothing to stop.
        }

        return true;
    }

    private async Task ForwardToPeerAsync(HttpContext context, IngressRouteOptions route, string target, PeerLink link, AsyncMode? mode, string? callbackUrl, CacheUse caching)
    {
        var request = context.Request;
        if (!link.CanReceive)
        {
            await ForwardOneWayAsync(context, route, target, link).ConfigureAwait(false);
            return;
        }

        if (mode is { } answerLater)
        {
            await ForwardAndAnswerLaterAsync(context, route, target, link, answerLater, callbackUrl).ConfigureAwait(false);
            return;
        }

        var started = _time.GetTimestamp();
        var streamId = Guid.CreateVersion7();
        using var exchange = new EntryExchange(streamId, link);
        link.Register(exchange);
        using var stopUpload = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        Task upload = Task.CompletedTask;
        try
        {
            var deadline = route.Deadline ?? _options.Deadline;
            var accepted = await SendHeadAsync(context, route, target, exchange, link, deadline, [], context.RequestAborted).ConfigureAwait(false);
            if (accepted is null)
            {
                context.Abort();
                return;
            }

            HttpProxyLog.RequestAccepted(_logger, streamId, request.Method, target, route.Peer);
            if (!accepted.Value.Complete)
            {
                upload = UploadAsync(context, exchange, link, accepted.Value, stopUpload.Token);
            }

            var wait = await exchange.WaitForResponseAsync(upload, deadline, _time, context.RequestAborted).ConfigureAwait(false);
            switch (wait.Outcome)
            {
                case EntryOutcome.Response:
                    await WriteResponseAsync(context, exchange, link, wait.Head!, route, caching).ConfigureAwait(false);
                    break;
                case EntryOutcome.DeadlineExceeded:
                    link.Post(FrameWriter.Reset(streamId, fromInitiator: true, ResetReason.DeadlineExceeded));
                    HttpProxyLog.DeadlineExceeded(_logger, streamId, target, deadline);
                    // Not yet with the peer: the exit node will find it expired and never call it. Otherwise nobody here can tell.
                    context.Response.Headers[RelayProblem.OutcomeHeader] = accepted.Value.HeadAcknowledged.IsCompletedSuccessfully ? "unknown" : "not-sent";
                    await RelayProblem.WriteAsync(context, RelayProblem.DeadlineExceeded(deadline, DescribePeerTrouble?.Invoke(route.Peer))).ConfigureAwait(false);
                    break;
                case EntryOutcome.CallerGone:
                    link.Post(FrameWriter.Reset(streamId, fromInitiator: true, ResetReason.CallerGone));
                    break;
                case EntryOutcome.UnsupportedVersion:
                    await RelayProblem.WriteAsync(context, RelayProblem.UnsupportedVersion(wait.Unsupported!.Peer, wait.Unsupported.SupportedVersions)).ConfigureAwait(false);
                    break;
                case EntryOutcome.BodyTooLarge:
                    await RelayProblem.WriteAsync(context, RelayProblem.BodyTooLarge(_options.MaxRequestBodyBytes)).ConfigureAwait(false);
                    break;
                case EntryOutcome.Reset:
                    await RelayProblem.WriteAsync(context, RelayProblem.StreamReset(wait.Reason)).ConfigureAwait(false);
                    break;
                default:
                    // The request body broke off (the caller stopped sending, or too slowly): never let the
                    // server's default empty 200 stand for an answer.
                    context.Abort();
                    break;
            }
        }
        finally
        {
            // A response may end before its request body (an early error): stop sending the rest.
            await stopUpload.CancelAsync().ConfigureAwait(false);
            await upload.ConfigureAwait(false);
            link.Unregister(exchange);
            _metrics.Forwarded(route.Peer, context.Response.StatusCode, _time.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// <c>Prefer: respond-async</c> or <c>Relay-Callback</c>: the request goes out as any other, the
    /// caller is answered 202 once the whole of it is accepted, and the response is kept as it comes.
    /// </summary>
    private async Task ForwardAndAnswerLaterAsync(HttpContext context, IngressRouteOptions route, string target, PeerLink link, AsyncMode mode, string? callbackUrl)
    {
        var id = Guid.CreateVersion7();
        var exchange = await _async.BeginAsync(id, link, mode, callbackUrl).ConfigureAwait(false);

        // These are for this node; the callee would take them as its own instructions.
        var accepted = await SendHeadAsync(
            context, route, target, exchange, link, _options.AsyncDeadline, [AsyncRequests.CallbackHeader, "Prefer"], context.RequestAborted).ConfigureAwait(false);
        if (accepted is null)
        {
            exchange.Fail(new StreamResetException(ResetReason.CallerGone, "The caller went away before its request was accepted."));
            context.Abort();
            return;
        }

        HttpProxyLog.RequestAccepted(_logger, id, context.Request.Method, target, route.Peer);
        if (!accepted.Value.Complete)
        {
            await UploadAsync(context, exchange, link, accepted.Value, context.RequestAborted).ConfigureAwait(false);
            if (exchange.Failure is { } failure)
            {
                if (failure.Reason == ResetReason.BodyTooLarge)
                {
                    await RelayProblem.WriteAsync(context, RelayProblem.BodyTooLarge(_options.MaxRequestBodyBytes)).ConfigureAwait(false);
                }
                else
                {
                    // Broken off: no 202 for a request that did not arrive whole.
                    context.Abort();
                }

                return;
            }
        }

        await _async.AnswerAcceptedAsync(context, id, mode).ConfigureAwait(false);
    }

    /// <summary>
    /// A route whose peer sends nothing back: the request goes out as any other, but with no credit to
    /// wait for and no expiry (nobody waits for its answer, so arriving late cannot make it pointless),
    /// and the caller is answered 202 <c>Relay-Outcome: sent</c> once every message of it is durable.
    /// </summary>
    private async Task ForwardOneWayAsync(HttpContext context, IngressRouteOptions route, string target, PeerLink link)
    {
        var started = _time.GetTimestamp();
        var id = Guid.CreateVersion7();
        using var exchange = new EntryExchange(id, link);
        try
        {
            var deadline = route.Deadline ?? _options.Deadline;
            var accepted = await SendHeadAsync(context, route, target, exchange, link, deadline, [], context.RequestAborted, expires: false).ConfigureAwait(false);
            if (accepted is null)
            {
                context.Abort();
                return;
            }

            HttpProxyLog.RequestAccepted(_logger, id, context.Request.Method, target, route.Peer);
            var bytes = accepted.Value.SentInline;
            if (!accepted.Value.Complete)
            {
                var (outcome, total) = await SendBodyAsync(context, exchange, link, accepted.Value, context.RequestAborted).ConfigureAwait(false);
                if (outcome != UploadOutcome.Complete)
                {
                    EndUpload(exchange, link, outcome);
                    if (outcome == UploadOutcome.BodyTooLarge)
                    {
                        await RelayProblem.WriteAsync(context, RelayProblem.BodyTooLarge(_options.MaxRequestBodyBytes)).ConfigureAwait(false);
                    }
                    else
                    {
                        // Broken off: no 202 for a request that did not go whole.
                        context.Abort();
                    }

                    return;
                }

                bytes = total;
            }

            link.OneWay.CountSent(bytes);
            _metrics.OneWay(route.Peer, "entry", "sent");
            HttpProxyLog.OneWaySent(_logger, id, context.Request.Method, target, route.Peer, bytes);
            var response = context.Response;
            response.StatusCode = StatusCodes.Status202Accepted;
            response.Headers[RelayProblem.OutcomeHeader] = "sent";
            response.Headers[AsyncRequests.RequestIdHeader] = id.ToString("N");
            try
            {
                await response.WriteAsJsonAsync(new OneWaySentDocument(id.ToString("N"), "sent", route.Peer, bytes), OneWayJsonContext.Default.OneWaySentDocument, cancellationToken: context.RequestAborted)
                    .ConfigureAwait(false);
            }
            catch (Exception exception) when (IsCallerGone(exception, context))
            {
                // Durable already: it goes to the callee whether or not this caller hears so.
            }
        }
        finally
        {
            _metrics.Forwarded(route.Peer, context.Response.StatusCode, _time.GetElapsedTime(started));
        }
    }

    private async Task<AcceptedRequest?> SendHeadAsync(
        HttpContext context,
        IngressRouteOptions route,
        string target,
        EntryExchange exchange,
        PeerLink link,
        TimeSpan deadline,
        string[] withoutHeaders,
        CancellationToken cancellationToken,
        bool expires = true)
    {
        var request = context.Request;
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? request.ContentLength > 0;
        // Forwarding headers are the caller's word: only a trusted proxy's is taken (its chain kept, its
        // view of host and scheme used); from anyone else they are dropped and this node says its own.
        var fromProxy = _trustedProxies.Contains(context.Connection.RemoteIpAddress);
        var callerHost = request.Host.Value ?? "";
        var callerScheme = request.Scheme;
        if (fromProxy)
        {
            callerHost = TrustedProxies.FirstValue(request.Headers["X-Forwarded-Host"]) ?? callerHost;
            callerScheme = TrustedProxies.FirstValue(request.Headers["X-Forwarded-Proto"]) ?? callerScheme;
        }

        string[] notForwarded = fromProxy
            ? [HeaderNames.Host, "X-Forwarded-Host", "X-Forwarded-Proto", .. withoutHeaders]
            : [HeaderNames.Host, .. HeaderRules.Forwarding, .. withoutHeaders];
        // One choice per request, for both directions: the route's setting, or for Auto what the link's speed favours.
        var codec = link.ChooseCodec(route.Compression);
        var head = new RequestHead(
            request.Method,
            target,
            HeaderRules.Flatten(request.Headers, ConnectionLines(context), notForwarded),
            request.ContentLength,
            hasBody,
            (long)deadline.TotalMilliseconds,
            codec,
            context.Connection.RemoteIpAddress?.ToString(),
            callerHost,
            callerScheme,
            expires ? _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)deadline.TotalMilliseconds : null,
            route.PathPrefix);
        var encoder = new BodyEncoder(HeaderRules.IsWorthCompressing(request.Headers.ContentEncoding, request.ContentType) ? codec : BodyCodec.None);
        using var frame = new OutgoingFrame(BodyBlock.MaxEncodedLength(link.Options.ChunkBytes) + 4096);
        frame.BeginRequest(exchange.StreamId, head);
        long sent = 0;
        var complete = !hasBody;
        if (hasBody)
        {
            var reader = request.BodyReader;
            ReadResult first;
            try
            {
                // A small declared body is worth waiting for: head and body then travel as one message.
                first = request.ContentLength is { } length && length <= link.Options.ChunkBytes
                    ? await reader.ReadAtLeastAsync((int)length, cancellationToken).ConfigureAwait(false)
                    : reader.TryRead(out var available) ? available : default;
            }
            catch (Exception exception) when (IsCallerGone(exception, context))
            {
                encoder.Dispose();
                return null;
            }

            var take = first.Buffer.Slice(0, Math.Min(first.Buffer.Length, link.Options.ChunkBytes));
            frame.AppendBody(take, encoder);
            sent = take.Length;
            complete = first.IsCompleted && take.Length == first.Buffer.Length;
            if (first.Buffer.Length > 0 || first.IsCompleted)
            {
                reader.AdvanceTo(take.End);
            }
        }

        if (complete)
        {
            frame.EndBody(sent);
        }

        SentMessage message;
        try
        {
            message = await BodyPump.SendChunkAsync(link, frame, exchange.UploadWindow, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            encoder.Dispose();
            return null;
        }

        if (complete)
        {
            encoder.Dispose();
        }

        return new AcceptedRequest(encoder, sent, complete, message.Acknowledged);
    }

    private async Task UploadAsync(HttpContext context, EntryExchange exchange, PeerLink link, AcceptedRequest accepted, CancellationToken cancellationToken)
    {
        var (outcome, _) = await SendBodyAsync(context, exchange, link, accepted, cancellationToken).ConfigureAwait(false);
        EndUpload(exchange, link, outcome);
    }

    /// <summary>Tells the far side, and the exchange, that a body which did not go whole is over.</summary>
    private void EndUpload(EntryExchange exchange, PeerLink link, UploadOutcome outcome)
    {
        switch (outcome)
        {
            case UploadOutcome.BodyTooLarge:
                link.Post(FrameWriter.Reset(exchange.StreamId, fromInitiator: true, ResetReason.BodyTooLarge));
                exchange.Fail(new StreamResetException(ResetReason.BodyTooLarge, "The request body is over the limit."));
                break;
            case UploadOutcome.CallerGone or UploadOutcome.CallerIdle:
                var reason = outcome == UploadOutcome.CallerIdle ? ResetReason.Idle : ResetReason.CallerGone;
                link.Post(FrameWriter.Reset(exchange.StreamId, fromInitiator: true, reason));
                exchange.Fail(new StreamResetException(reason, "The request body did not arrive whole."));
                HttpProxyLog.UploadAbandoned(_logger, exchange.StreamId, reason);
                break;
        }
    }

    // Every way the copy can end, as an outcome (with the body's length when it went whole): the pump reports a broken stream by throwing.
    private async Task<(UploadOutcome Outcome, long Bytes)> SendBodyAsync(HttpContext context, EntryExchange exchange, PeerLink link, AcceptedRequest accepted, CancellationToken cancellationToken)
    {
        try
        {
            var total = await BodyPump.SendAsync(
                link, exchange.StreamId, fromInitiator: true, context.Request.BodyReader, accepted.Encoder, exchange.UploadWindow,
                accepted.SentInline, _options.MaxRequestBodyBytes, tee: null, cancellationToken).ConfigureAwait(false);
            return (UploadOutcome.Complete, total);
        }
        catch (StreamResetException reset)
        {
            return (reset.Reason == ResetReason.BodyTooLarge ? UploadOutcome.BodyTooLarge : UploadOutcome.PeerReset, 0);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            return (UploadOutcome.ResponseEndedFirst, 0);
        }
        catch (TimeoutException)
        {
            return (UploadOutcome.CallerIdle, 0);
        }
        catch (Exception exception) when (IsCallerGone(exception, context))
        {
            return (UploadOutcome.CallerGone, 0);
        }
        finally
        {
            accepted.Encoder.Dispose();
        }
    }

    private async Task WriteResponseAsync(HttpContext context, EntryExchange exchange, PeerLink link, ResponseHead head, IngressRouteOptions route, CacheUse caching)
    {
        var response = context.Response;
        response.StatusCode = head.Status;
        head.Headers.AppendTo(response.Headers);

        if (head.ContentLength is { } length && head.Status is not (StatusCodes.Status204NoContent or StatusCodes.Status304NotModified))
        {
            response.ContentLength = length;
        }

        CacheCapture? capture = null;
        var freshFor = TimeSpan.Zero;
        string[] vary = [];
        if (caching.Use != CacheRequestUse.None)
        {
            response.Headers[CacheStatusHeader] = "miss";
            _cache.CountMiss();
            _metrics.Cache(route.Peer, hit: false);
            // Only a GET's body is kept (a HEAD has none); one declared larger than an entry may be is not even copied.
            if (HttpMethods.IsGet(context.Request.Method)
                && !(head.ContentLength > _cache.MaxEntryBytes)
                && CachePolicy.FreshnessOf(head, context.Request.Headers.ContainsKey(HeaderNames.Authorization), route.CacheTtl) is { } lifetime
                && CachePolicy.VaryOf(head) is { } names)
            {
                freshFor = lifetime;
                vary = names;
                capture = new CacheCapture(_cache.MaxEntryBytes);
            }
        }

        // Those waiting for this response need not wait for a body that will not be kept.
        if (capture is null)
        {
            caching.Fill?.Dispose();
        }

        var arrivedAt = _time.GetUtcNow();
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        try
        {
            while (true)
            {
                var read = await exchange.ResponseBody.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                if (capture is { IsKeeping: true })
                {
                    capture.Append(buffer.AsSpan(0, read));
                    if (!capture.IsKeeping)
                    {
                        caching.Fill?.Dispose();
                    }
                }

                await response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
            }

            await response.CompleteAsync().ConfigureAwait(false);
            // Kept only once the caller has the whole of it: a body that broke off is never served again.
            if (capture is { IsKeeping: true }
                && _cache.Store(caching.Target, vary, context.Request.Headers, new CachedResponse(head.Status, head.Headers, capture.ToArray(), arrivedAt, CachePolicy.InitialAgeOf(head), freshFor)))
            {
                HttpProxyLog.ResponseCached(_logger, exchange.StreamId, caching.Target, freshFor);
            }
        }
        catch (StreamResetException reset)
        {
            // Never let a partial body look complete: abort the caller's connection.
            HttpProxyLog.ResponseAborted(_logger, exchange.StreamId, reset.Reason);
            context.Abort();
        }
        catch (Exception exception) when (IsCallerGone(exception, context))
        {
            link.Post(FrameWriter.Reset(exchange.StreamId, fromInitiator: true, ResetReason.CallerGone));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            capture?.Dispose();
        }
    }

    private static bool IsCallerGone(Exception exception, HttpContext context) =>
        context.RequestAborted.IsCancellationRequested
        || exception is BadHttpRequestException or IOException or OperationCanceledException;

    /// <param name="Use">What the cache may do for the request.</param>
    /// <param name="Target">The request's place in the cache: route prefix and target URL, whatever the method.</param>
    /// <param name="Fill">This request's claim to fetch its key while others wait, or null.</param>
    private readonly record struct CacheUse(CacheRequestUse Use, string Target, CacheFill? Fill);

    /// <param name="HeadAcknowledged">Completes once the peer has the head: until then, the request has certainly not been called.</param>
    private readonly record struct AcceptedRequest(BodyEncoder Encoder, long SentInline, bool Complete, Task HeadAcknowledged);

    // Kestrel's view of the Connection lines plus every token they had on the wire (Kestrel keeps only the option it knows).
    private static StringValues ConnectionLines(HttpContext context)
    {
        var seen = context.Request.Headers.Connection;
        return RequestConnectionTokens.Of(context) is { Count: > 0 } tokens ? StringValues.Concat(seen, string.Join(',', tokens)) : seen;
    }
}
