using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Polly;
using Relay.HttpProxy.Diagnostics;
using Relay.HttpProxy.Problems;

namespace Relay.HttpProxy.Async;

/// <summary>
/// POSTs kept responses to their <c>Relay-Callback</c> URLs, one delivery per request at a time,
/// retried by one <see cref="CallbackRetryPipeline"/> until accepted or
/// <see cref="IngressOptions.CallbackGiveUpAfter"/> after the request. A delivery the node stops
/// in the middle of stays pending in the store and is started again at the next start.
/// </summary>
internal sealed class CallbackDelivery : IAsyncDisposable
{
    public const string StatusHeader = "Relay-Status";

    private readonly IngressOptions _options;
    private readonly AsyncRequestStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpMessageInvoker _client;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ConcurrentDictionary<Guid, Task> _deliveries = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="options">The give-up time and retry delays.</param>
    /// <param name="store">The requests and their kept responses.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where deliveries are logged.</param>
    /// <param name="client">Sends the callbacks, or null for a client of its own; disposed with this.</param>
    public CallbackDelivery(IngressOptions options, AsyncRequestStore store, TimeProvider time, ILogger logger, HttpMessageInvoker? client = null)
    {
        _options = options;
        _store = store;
        _time = time;
        _logger = logger;
        _client = client ?? new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
        _pipeline = CallbackRetryPipeline.Build(options, time, logger, _stopping.Token);
    }

    public int BeingDelivered => _deliveries.Count;

    /// <summary>Starts delivering a request's callback in the background, unless it is already being delivered.</summary>
    public void Start(Guid id)
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

    /// <summary>Delivers a request's callback, retrying, and records how it ended.</summary>
    public async Task<CallbackOutcome> DeliverAsync(Guid id)
    {
        var request = await _store.FindAsync(id).ConfigureAwait(false);
        if (request is not { Mode: AsyncMode.Callback, Callback: CallbackState.Pending, CallbackUrl: { } url })
        {
            return CallbackOutcome.NotOwed;
        }

        if (!request.Accepted)
        {
            // The caller was never told 202 (its request did not arrive whole): it expects no callback.
            await _store.CallbackEndedAsync(id, CallbackState.Abandoned).ConfigureAwait(false);
            return CallbackOutcome.NotOwed;
        }

        // Counted from the request, so a restart does not extend it.
        var remaining = request.Created + _options.CallbackGiveUpAfter - _time.GetUtcNow();
        using var giveUp = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time);
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(giveUp.Token, _stopping.Token);
        var context = ResilienceContextPool.Shared.Get(ends.Token);
        context.Properties.Set(CallbackRetryPipeline.RequestId, id);
        context.Properties.Set(CallbackRetryPipeline.Url, url);
        var attempt = new Attempt(this, request, url);
        Outcome<HttpResponseMessage> outcome;
        try
        {
            outcome = await _pipeline.ExecuteOutcomeAsync(static (context, attempt) => attempt.SendAsync(context.CancellationToken), context, attempt).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        using var answer = outcome.Result;
        var ended = Classify(outcome, _stopping.IsCancellationRequested);
        switch (ended)
        {
            case CallbackOutcome.Delivered:
                await _store.CallbackEndedAsync(id, CallbackState.Delivered).ConfigureAwait(false);
                HttpProxyLog.CallbackDelivered(_logger, id, url, attempt.Count);
                break;
            case CallbackOutcome.GaveUp:
                await _store.CallbackEndedAsync(id, CallbackState.Abandoned).ConfigureAwait(false);
                HttpProxyLog.CallbackAbandoned(_logger, id, url, attempt.Count, _options.CallbackGiveUpAfter);
                break;
            case CallbackOutcome.Failed:
                HttpProxyLog.CallbackFailed(_logger, outcome.Exception!, id, url);
                break;
        }

        return ended;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_deliveries.Values).ConfigureAwait(false);
        _client.Dispose();
        _stopping.Dispose();
    }

    /// <summary>What the last outcome of the retry pipeline means for the callback.</summary>
    internal static CallbackOutcome Classify(Outcome<HttpResponseMessage> outcome, bool stopping) => outcome switch
    {
        { Result.IsSuccessStatusCode: true } => CallbackOutcome.Delivered,
        _ when stopping => CallbackOutcome.Stopped,
        { Exception: OperationCanceledException } or { Result: not null } => CallbackOutcome.GaveUp,
        _ => CallbackOutcome.Failed,
    };

    private HttpRequestMessage BuildCallback(AsyncRequest request, string url)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, url);
        HttpContent content;
        int status;
        if (request.State == AsyncState.Complete && request.ResponseHead is { } head)
        {
            status = head.Status;
            content = new StreamContent(_store.Bodies.OpenReader(request.Id, request.DeclaredLength));
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
        message.Headers.TryAddWithoutValidation(AsyncRequests.RequestIdHeader, request.Id.ToString("N"));
        return message;
    }

    // One delivery's attempts: each is counted in the store before it goes, so a restart continues the count.
    private sealed class Attempt(CallbackDelivery delivery, AsyncRequest request, string url)
    {
        public int Count { get; private set; } = request.CallbackAttempts;

        public async ValueTask<Outcome<HttpResponseMessage>> SendAsync(CancellationToken cancellationToken)
        {
            try
            {
                await delivery._store.CallbackAttemptedAsync(request.Id, ++Count).ConfigureAwait(false);
                using var callback = delivery.BuildCallback(request, url);
                return Outcome.FromResult(await delivery._client.SendAsync(callback, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception exception)
            {
                // The pipeline takes failures as outcomes: it decides from them whether to try again.
                return Outcome.FromException<HttpResponseMessage>(exception);
            }
        }
    }
}
