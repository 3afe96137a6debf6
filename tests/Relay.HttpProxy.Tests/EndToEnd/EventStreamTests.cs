using System.Net.Http.Headers;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>Server-sent events through a faulty folder: event by event, resumable, cancelled with the caller.</summary>
public sealed class EventStreamTests : IAsyncLifetime, IDisposable
{
    private static readonly FaultProfile Faulty = HostileFolder.Profile(44);

    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(200);

    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        // Heartbeats every 200 ms: a stream quiet for a few seconds is quiet for many of them.
        _relay = await RelayPair.StartAsync(
            _folder, _callee.BaseUrl, Faulty, a => a.Http.HeartbeatInterval = HeartbeatInterval, b => b.Http.HeartbeatInterval = HeartbeatInterval);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TwoHundredEvents_ArriveInOrder_AndACallerThatReconnectsWithLastEventIdResumes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ids = new List<int>();
        using (var first = await OpenAsync("/svc/events?count=200", lastEventId: null, timeout.Token))
        using (var events = new EventStreamReader(await first.Content.ReadAsStreamAsync(timeout.Token)))
        {
            Assert.Equal("text/event-stream", first.Content.Headers.ContentType?.MediaType);
            while (ids.Count < 100 && await events.ReadAsync(timeout.Token) is { } e)
            {
                Assert.Equal($"event {e.Id}", e.Data);
                ids.Add(int.Parse(e.Id, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        // The caller hangs up after event 99 and comes back with the last id it saw.
        using (var resumed = await OpenAsync("/svc/events?count=200", lastEventId: ids[^1].ToString(System.Globalization.CultureInfo.InvariantCulture), timeout.Token))
        using (var events = new EventStreamReader(await resumed.Content.ReadAsStreamAsync(timeout.Token)))
        {
            while (await events.ReadAsync(timeout.Token) is { } e)
            {
                ids.Add(int.Parse(e.Id, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        Assert.Equal(Enumerable.Range(0, 200), ids);
        Assert.Equal(["", "99"], _callee.EventResumes.ToArray());
    }

    [Fact]
    public async Task EachEvent_ReachesTheCallerWhileTheCalleeIsStillWriting()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var response = await OpenAsync("/svc/events?count=3&hold=1", lastEventId: null, timeout.Token);
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        // The callee holds after event 0 until released: the caller can only see it if it was not buffered.
        var first = await events.ReadAsync(timeout.Token);
        Assert.Equal("0", first?.Id);
        _callee.EventsReleased.TrySetResult();
        Assert.Equal("1", (await events.ReadAsync(timeout.Token))?.Id);
        Assert.Equal("2", (await events.ReadAsync(timeout.Token))?.Id);
        Assert.Null(await events.ReadAsync(timeout.Token));
    }

    [Fact]
    public async Task QuietStream_StaysOpenOnBothSides_ForManyHeartbeatIntervals()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var response = await OpenAsync("/svc/events?count=3&hold=1", lastEventId: null, timeout.Token);
        using var events = new EventStreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        Assert.Equal("0", (await events.ReadAsync(timeout.Token))?.Id);

        // Nothing moves on the stream for fifteen heartbeat intervals (five times the silence that ends a stream).
        await Task.Delay(HeartbeatInterval * 15, timeout.Token);
        Assert.False(_callee.EventsAborted.Task.IsCompleted, "the far side ended a quiet stream whose caller is still there");
        _callee.EventsReleased.TrySetResult();
        Assert.Equal("1", (await events.ReadAsync(timeout.Token))?.Id);
        Assert.Equal("2", (await events.ReadAsync(timeout.Token))?.Id);
    }

    [Fact]
    public async Task CallerHangingUp_CancelsTheFarRequest_AndTheCalleeSeesItsConnectionClose()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using (var response = await OpenAsync("/svc/events?count=5&hold=1", lastEventId: null, timeout.Token))
        using (var events = new EventStreamReader(await response.Content.ReadAsStreamAsync(timeout.Token)))
        {
            Assert.Equal("0", (await events.ReadAsync(timeout.Token))?.Id);
        }

        await _callee.EventsAborted.Task.WaitAsync(timeout.Token);
    }

    private async Task<HttpResponseMessage> OpenAsync(string path, string? lastEventId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await _relay.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        return response;
    }
}
