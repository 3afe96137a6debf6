using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Relay.HttpProxy.Async;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.Async;

/// <summary>The callback retry pipeline on a fake clock: what it retries, how long it waits, and what ends it.</summary>
public sealed class CallbackRetryPipelineTests : IDisposable
{
    private const int RetryingEvent = 2011;
    private static readonly Guid Id = Guid.NewGuid();
    private readonly IngressOptions _options = new() { CallbackFirstRetryDelay = TimeSpan.FromSeconds(1), CallbackMaxRetryDelay = TimeSpan.FromSeconds(8) };
    private readonly TimerWatchingTime _time = new();
    private readonly LogCapture _logs = new();
    private readonly CancellationTokenSource _stopping = new();

    public void Dispose()
    {
        _logs.Dispose();
        _stopping.Dispose();
    }

    [Fact]
    public async Task RefusedAnswers_AreRetriedWithDelaysUpToTheMaximum_UntilOneIsAccepted()
    {
        var pipeline = Build();
        var answers = new Queue<HttpStatusCode>([.. Enumerable.Repeat(HttpStatusCode.ServiceUnavailable, 6), HttpStatusCode.NoContent]);
        var attempts = 0;

        var running = ExecuteAsync(pipeline, () =>
        {
            attempts++;
            return Outcome.FromResult(new HttpResponseMessage(answers.Dequeue()));
        });
        for (var retry = 0; retry < 6; retry++)
        {
            var delay = await _time.NextTimerAsync();
            Assert.InRange(delay, TimeSpan.Zero, _options.CallbackMaxRetryDelay);
            _time.Advance(delay);
        }

        var outcome = await running;

        Assert.Equal(HttpStatusCode.NoContent, outcome.Result!.StatusCode);
        Assert.Equal(7, attempts);
        Assert.Equal(CallbackOutcome.Delivered, CallbackDelivery.Classify(outcome, stopping: false));
        var retries = _logs.Lines.Where(line => line.EventId == RetryingEvent).Select(line => line.Message).ToList();
        Assert.Equal(6, retries.Count);
        Assert.All(retries, message => Assert.Contains("the receiver answered 503 Service Unavailable", message, StringComparison.Ordinal));
        // Retries are numbered from the first one, as the log has always said.
        Assert.Contains("attempt 6 in", retries[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedConnection_IsRetried()
    {
        var pipeline = Build();
        var attempts = 0;
        var running = ExecuteAsync(pipeline, () => ++attempts == 1
            ? Outcome.FromException<HttpResponseMessage>(new HttpRequestException(HttpRequestError.ConnectionError, "refused"))
            : Outcome.FromResult(new HttpResponseMessage(HttpStatusCode.OK)));

        _time.Advance(await _time.NextTimerAsync());
        var outcome = await running;

        Assert.Equal(2, attempts);
        Assert.Equal(HttpStatusCode.OK, outcome.Result!.StatusCode);
        Assert.Contains(_logs.Lines, line => line.EventId == RetryingEvent && line.Message.Contains("the connection failed: refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GiveUpDuringADelay_EndsWithoutAnotherAttempt_AsGivenUp()
    {
        var pipeline = Build();
        using var giveUp = new CancellationTokenSource();
        var attempts = 0;
        var running = ExecuteAsync(
            pipeline,
            () =>
            {
                attempts++;
                return Outcome.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError));
            },
            giveUp.Token);

        await _time.NextTimerAsync();
        await giveUp.CancelAsync();
        var outcome = await running;

        Assert.Equal(1, attempts);
        Assert.IsAssignableFrom<OperationCanceledException>(outcome.Exception);
        Assert.Equal(CallbackOutcome.GaveUp, CallbackDelivery.Classify(outcome, stopping: false));
    }

    [Fact]
    public async Task AttemptCancelledBecauseTheNodeStops_IsNotRetried()
    {
        var pipeline = Build();
        var attempts = 0;

        var outcome = await ExecuteAsync(
            pipeline,
            () =>
            {
                attempts++;

                // The node stops while the attempt is under way: the client gives up on it.
                _stopping.Cancel();
                return Outcome.FromException<HttpResponseMessage>(new TaskCanceledException());
            },
            _stopping.Token);

        Assert.Equal(1, attempts);
        Assert.Equal(CallbackOutcome.Stopped, CallbackDelivery.Classify(outcome, stopping: true));
    }

    [Fact]
    public void FailureThatRetryingDoesNotMend_IsClassifiedAsFailed()
    {
        var outcome = Outcome.FromException<HttpResponseMessage>(new InvalidOperationException("no such scheme"));

        Assert.Equal(CallbackOutcome.Failed, CallbackDelivery.Classify(outcome, stopping: false));
        Assert.Equal("no such scheme", CallbackRetryPipeline.Describe(outcome));
    }

    private ResiliencePipeline<HttpResponseMessage> Build() =>
        CallbackRetryPipeline.Build(_options, _time, _logs.CreateLogger("callbacks"), _stopping.Token);

    private static async Task<Outcome<HttpResponseMessage>> ExecuteAsync(
        ResiliencePipeline<HttpResponseMessage> pipeline, Func<Outcome<HttpResponseMessage>> attempt, CancellationToken cancellationToken = default)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(CallbackRetryPipeline.RequestId, Id);
        context.Properties.Set(CallbackRetryPipeline.Url, "http://127.0.0.1:9/callback");
        try
        {
            return await pipeline.ExecuteOutcomeAsync((_, state) => ValueTask.FromResult(state()), context, attempt);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
