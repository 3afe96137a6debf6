using System.IO.Abstractions.TestingHelpers;
using System.Net;
using System.Text;
using Relay.HttpProxy.Async;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.Async;

/// <summary>
/// Delivering one callback on a fake clock to a receiver that answers as told: what is recorded
/// when it is accepted, and that it is abandoned once <c>CallbackGiveUpAfter</c> has passed since
/// the request, not since the delivery started.
/// </summary>
public sealed class CallbackDeliveryTests : IAsyncLifetime, IDisposable
{
    private const int AbandonedEvent = 2012;
    private const string Url = "http://127.0.0.1:9/callback/report";
    private readonly TemporaryFolder _state = new();
    private readonly TimerWatchingTime _time = new();
    private readonly LogCapture _logs = new();
    private readonly Receiver _receiver = new();
    private readonly IngressOptions _options = new()
    {
        CallbackFirstRetryDelay = TimeSpan.FromSeconds(1),
        CallbackMaxRetryDelay = TimeSpan.FromSeconds(2),
        CallbackGiveUpAfter = TimeSpan.FromSeconds(10),
    };

    private AsyncRequestStore _store = null!;
    private CallbackDelivery _delivery = null!;

    public Task InitializeAsync()
    {
        _store = AsyncRequestStore.Open(_state.Path, new MockFileSystem());
        _delivery = new CallbackDelivery(_options, _store, _time, _logs.CreateLogger("callbacks"), new HttpMessageInvoker(_receiver));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _delivery.DisposeAsync();
        await _store.DisposeAsync();
    }

    public void Dispose()
    {
        _logs.Dispose();
        _state.Dispose();
    }

    [Fact]
    public async Task RefusedOnce_IsDeliveredOnTheSecondAttempt_WithTheStatusAndProblem()
    {
        var id = await FailedRequestAsync(_time.GetUtcNow());
        _receiver.Answers.Enqueue(HttpStatusCode.ServiceUnavailable);
        _receiver.Answers.Enqueue(HttpStatusCode.NoContent);

        var delivering = _delivery.DeliverAsync(id);
        Assert.Equal(_options.CallbackGiveUpAfter, await _time.NextTimerAsync());
        _time.Advance(await _time.NextTimerAsync());

        Assert.Equal(CallbackOutcome.Delivered, await delivering);
        var request = await _store.FindAsync(id);
        Assert.Equal(CallbackState.Delivered, request!.Callback);
        Assert.Equal(2, request.CallbackAttempts);
        var (status, body) = _receiver.Received[^1];
        Assert.Equal("504", status);
        Assert.Contains("deadline-exceeded", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NeverAccepted_IsAbandonedAtTheGiveUpTimeCountedFromTheRequest()
    {
        // The request is 4 s old when its delivery starts (as after a restart): 6 s are left.
        var id = await FailedRequestAsync(_time.GetUtcNow() - TimeSpan.FromSeconds(4));
        var started = _time.GetUtcNow();

        var delivering = _delivery.DeliverAsync(id);
        Assert.Equal(TimeSpan.FromSeconds(6), await _time.NextTimerAsync());
        while (!delivering.IsCompleted)
        {
            var next = _time.NextTimerAsync();
            if (await Task.WhenAny(delivering, next) == next)
            {
                _time.Advance(await next);
            }
        }

        Assert.Equal(CallbackOutcome.GaveUp, await delivering);
        Assert.InRange(_time.GetUtcNow() - started, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(6) + _options.CallbackMaxRetryDelay);
        var request = await _store.FindAsync(id);
        Assert.Equal(CallbackState.Abandoned, request!.Callback);
        Assert.Equal(_receiver.Received.Count, request.CallbackAttempts);
        Assert.Contains(_logs.Lines, line => line.EventId == AbandonedEvent);
    }

    [Fact]
    public async Task RequestWhoseCallerNeverGotIts202_IsNotCalledBack()
    {
        var id = Guid.NewGuid();
        await _store.InsertAsync(id, "site-b", AsyncMode.Callback, Url, _time.GetUtcNow());

        Assert.Equal(CallbackOutcome.NotOwed, await _delivery.DeliverAsync(id));

        Assert.Empty(_receiver.Received);
        Assert.Equal(CallbackState.Abandoned, (await _store.FindAsync(id))!.Callback);
    }

    // A callback request answered 202 whose answer is a 504 problem (no response within the deadline).
    private async Task<Guid> FailedRequestAsync(DateTimeOffset created)
    {
        var id = Guid.NewGuid();
        await _store.InsertAsync(id, "site-b", AsyncMode.Callback, Url, created);
        await _store.AcceptedAsync(id);
        await _store.FailAsync(id, 504, Encoding.UTF8.GetBytes("""{"type":"urn:relay:problem:deadline-exceeded","status":504}"""), created);
        return id;
    }

    // Answers each callback with the next queued status (503 once they run out), recording what came.
    private sealed class Receiver : HttpMessageHandler
    {
        public Queue<HttpStatusCode> Answers { get; } = new();

        public List<(string Status, string Body)> Received { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            lock (Received)
            {
                Received.Add((string.Join(",", request.Headers.GetValues("Relay-Status")), body));
            }

            return new HttpResponseMessage(Answers.TryDequeue(out var status) ? status : HttpStatusCode.ServiceUnavailable);
        }
    }
}
