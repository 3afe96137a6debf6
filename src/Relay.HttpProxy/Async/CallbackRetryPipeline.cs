using System.Globalization;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Relay.HttpProxy.Diagnostics;

namespace Relay.HttpProxy.Async;

/// <summary>
/// How callbacks are retried: any answer but 2xx, a failed connection or a timed-out attempt is
/// tried again with exponential backoff and jitter, from <see cref="IngressOptions.CallbackFirstRetryDelay"/>
/// up to <see cref="IngressOptions.CallbackMaxRetryDelay"/>, until the caller's token (the give-up
/// time, or the node stopping) ends it. Built once per relay; the request an attempt belongs to
/// travels in the <see cref="ResilienceContext"/>.
/// </summary>
internal static class CallbackRetryPipeline
{
    /// <summary>The request a callback is for, for the retry log.</summary>
    public static readonly ResiliencePropertyKey<Guid> RequestId = new("relay.request-id");

    /// <summary>The callback URL, for the retry log.</summary>
    public static readonly ResiliencePropertyKey<string> Url = new("relay.callback-url");

    /// <param name="options">The delays.</param>
    /// <param name="time">The clock the delays run on.</param>
    /// <param name="logger">Where each retry is logged.</param>
    /// <param name="stopping">The node is stopping: an attempt cancelled by it is not retried.</param>
    public static ResiliencePipeline<HttpResponseMessage> Build(IngressOptions options, TimeProvider time, ILogger logger, CancellationToken stopping) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>(_ => !stopping.IsCancellationRequested)
                    .HandleResult(response => !response.IsSuccessStatusCode),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.CallbackFirstRetryDelay,
                MaxDelay = options.CallbackMaxRetryDelay,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = arguments =>
                {
                    var properties = arguments.Context.Properties;
                    HttpProxyLog.CallbackRetrying(
                        logger, properties.GetValue(RequestId, Guid.Empty), properties.GetValue(Url, ""), Describe(arguments.Outcome), arguments.AttemptNumber + 1, arguments.RetryDelay);

                    // The failed answer is not looked at again: its connection goes back to the pool now.
                    arguments.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>Why one callback attempt failed, as an operator needs it: refused, timed out, or the receiver's status.</summary>
    public static string Describe(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result: { } response } => string.Create(CultureInfo.InvariantCulture, $"the receiver answered {(int)response.StatusCode} {response.ReasonPhrase}"),
        { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } failure } => "the connection failed: " + failure.Message,
        { Exception: HttpRequestException failure } => $"{failure.HttpRequestError}: {failure.Message}",
        { Exception: TaskCanceledException or TimeoutException } => "the attempt timed out",
        { Exception: { } other } => other.Message,
        _ => "unknown",
    };
}
