using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>
/// A real callee on Kestrel (127.0.0.1, a free port) that records what it was asked. It honours
/// <c>Idempotency-Key</c> the way a careful service does: a key it has seen gets the same answer
/// again without the work being done twice, so <see cref="Executions"/> counts real work.
/// </summary>
internal sealed class TestCallee : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _answers = new();
    private int _uploadsCompleted;

    private TestCallee(WebApplication app) => _app = app;

    /// <summary>Work done per <c>X-Tag</c> header value.</summary>
    public ConcurrentDictionary<string, int> Executions { get; } = new();

    /// <summary>Uploads to <c>/upload</c> whose body arrived whole.</summary>
    public int UploadsCompleted => Volatile.Read(ref _uploadsCompleted);

    /// <summary>What each whole upload to <c>/upload</c> was, as <c>length:SHA-256</c>, in order.</summary>
    public ConcurrentQueue<string> Uploads { get; } = new();

    /// <summary>Requests that reached <c>/echo</c> per <c>X-Tag</c>, repeats included.</summary>
    public ConcurrentDictionary<string, int> Arrivals { get; } = new();

    /// <summary>Headers of the last request per <c>X-Tag</c>.</summary>
    public ConcurrentDictionary<string, IHeaderDictionary> SeenHeaders { get; } = new();

    /// <summary>Completes when a caller of <c>/events</c> goes away before the stream ends.</summary>
    public TaskCompletionSource EventsAborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Holds <c>/events?hold=1</c> after its first event until completed.</summary>
    public TaskCompletionSource EventsReleased { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The <c>Last-Event-ID</c> each request to <c>/events</c> carried (empty when none).</summary>
    public ConcurrentQueue<string> EventResumes { get; } = new();

    /// <summary>Attempts at <c>/callback/{name}</c>, failed ones included.</summary>
    public ConcurrentDictionary<string, int> CallbackAttempts { get; } = new();

    /// <summary>Names whose callbacks are refused (500) until removed.</summary>
    public ConcurrentDictionary<string, bool> CallbacksRefused { get; } = new();

    /// <summary>Accepted callbacks: headers and body, per name.</summary>
    public ConcurrentDictionary<string, TaskCompletionSource<(IHeaderDictionary Headers, byte[] Body)>> Callbacks { get; } = new();

    public Task<(IHeaderDictionary Headers, byte[] Body)> CallbackTo(string name) =>
        Callbacks.GetOrAdd(name, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Completes when a request to <c>/hang</c> sees its connection closed by the relay.</summary>
    public TaskCompletionSource HangAborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string BaseUrl { get; private set; } = "";

    /// <summary>Completed when the relay hangs up on a <c>/download</c> before it is sent whole.</summary>
    public TaskCompletionSource DownloadAborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Arrivals at <c>/gate/{tag}</c>, with the Idempotency-Key each carried.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<string>> GateArrivals { get; } = new();

    /// <summary>The connections requests to <c>/gate/{tag}</c> came on.</summary>
    public ConcurrentDictionary<string, byte> GateConnections { get; } = new();

    /// <summary>Signalled whenever a request reaches <c>/gate/{tag}</c>.</summary>
    public SemaphoreSlim GateArrived { get; } = new(0);

    /// <summary>Holds <c>/gate/{tag}</c> requests until completed.</summary>
    public TaskCompletionSource GateOpen { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Requests that reached <c>/cacheable/{tag}</c>, per tag.</summary>
    public ConcurrentDictionary<string, int> CacheableArrivals { get; } = new();

    public int CacheableArrivalsOf(string tag) => CacheableArrivals.GetValueOrDefault(tag);

    public static async Task<TestCallee> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        var callee = new TestCallee(app);
        callee.Map(app);
        await app.StartAsync();
        callee.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
        return callee;
    }

    public int ExecutionsOf(string tag) => Executions.GetValueOrDefault(tag);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The byte at <paramref name="position"/> of a generated body: varied enough that misplaced chunks show.</summary>
    public static byte PatternByte(long position) => (byte)((position * 31) ^ (position >> 11));

    public static void FillPattern(Span<byte> buffer, long start)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = PatternByte(start + i);
        }
    }

    private void Map(WebApplication app)
    {
        // Echo: status from ?status=, body and X-Echo-* headers back, work counted per X-Tag.
        app.Map("/echo/{**rest}", async (HttpContext context) =>
        {
            var request = context.Request;
            var tag = request.Headers["X-Tag"].ToString();
            var key = request.Headers["Idempotency-Key"].ToString();
            Arrivals.AddOrUpdate(tag, 1, (_, count) => count + 1);
            SeenHeaders[tag] = new HeaderDictionary(request.Headers.ToDictionary(h => h.Key, h => h.Value));
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            if (key.Length > 0 && _answers.TryGetValue(key, out var answer))
            {
                await WriteEchoAsync(context, answer);
                return;
            }

            Executions.AddOrUpdate(tag, 1, (_, count) => count + 1);
            var bytes = body.ToArray();
            if (key.Length > 0)
            {
                _answers[key] = bytes;
            }

            await WriteEchoAsync(context, bytes);
        });

        // Upload: the length and SHA-256 of what arrived.
        // ?gate=1 holds the upload, unread, like /gate/{tag}.
        app.MapMethods("/upload", ["POST", "PUT"], async (HttpContext context) =>
        {
            if (context.Request.Query.ContainsKey("gate"))
            {
                GateArrived.Release();
                await GateOpen.Task.WaitAsync(context.RequestAborted);
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[256 * 1024];
            long total = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
            }

            var received = $"{total}:{Convert.ToHexString(hash.GetHashAndReset())}";
            Uploads.Enqueue(received);
            Interlocked.Increment(ref _uploadsCompleted);
            await context.Response.WriteAsync(received, context.RequestAborted);
        });

        // Download: n pattern bytes; ?chunked=1 streams without Content-Length, ?breakAt=k drops the connection after k bytes.
        app.MapGet("/download/{length:long}", async (HttpContext context, long length) =>
        {
            var chunked = context.Request.Query.ContainsKey("chunked");
            var breakAt = long.TryParse(context.Request.Query["breakAt"], CultureInfo.InvariantCulture, out var at) ? at : -1;
            if (!chunked)
            {
                context.Response.ContentLength = length;
            }

            context.Response.ContentType = "application/octet-stream";
            var buffer = new byte[64 * 1024];
            for (long sent = 0; sent < length;)
            {
                var count = (int)Math.Min(buffer.Length, length - sent);
                if (breakAt >= 0 && sent + count > breakAt)
                {
                    count = (int)(breakAt - sent);
                    FillPattern(buffer.AsSpan(0, count), sent);
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, count));
                    await context.Response.Body.FlushAsync();
                    context.Abort();
                    return;
                }

                FillPattern(buffer.AsSpan(0, count), sent);
                try
                {
                    await context.Response.Body.WriteAsync(buffer.AsMemory(0, count), context.RequestAborted);
                }
                catch (Exception exception) when (exception is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
                {
                    DownloadAborted.TrySetResult();
                    return;
                }

                sent += count;
            }
        });

        // Text: a compressible body of n bytes.
        app.MapGet("/text/{length:int}", (int length) =>
            Results.Text(string.Concat(Enumerable.Repeat("{\"name\":\"relay\",\"value\":42},", length / 28 + 1))[..length], "application/json"));

        // Slow: answers after ?ms= milliseconds.
        app.MapGet("/slow", async (HttpContext context) =>
        {
            await Task.Delay(int.Parse(context.Request.Query["ms"]!, CultureInfo.InvariantCulture), context.RequestAborted);
            return Results.Text("slow");
        });

        // Events: a text/event-stream of ?count= events with ids, each flushed on its own, resuming after Last-Event-ID.
        app.MapGet("/events", async (HttpContext context) =>
        {
            var count = int.Parse(context.Request.Query["count"]!, CultureInfo.InvariantCulture);
            var hold = context.Request.Query.ContainsKey("hold");
            var lastId = context.Request.Headers["Last-Event-ID"].ToString();
            EventResumes.Enqueue(lastId);
            var next = lastId.Length > 0 ? int.Parse(lastId, CultureInfo.InvariantCulture) + 1 : 0;
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            try
            {
                for (var id = next; id < count; id++)
                {
                    await context.Response.WriteAsync($"id: {id}\ndata: event {id}\n\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    if (hold && id == next)
                    {
                        await EventsReleased.Task.WaitAsync(context.RequestAborted);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                EventsAborted.TrySetResult();
            }
        });

        // Callback receiver: refuses the first ?fail= attempts (and all while the name is in CallbacksRefused), then keeps what came.
        app.MapPost("/callback/{name}", async (HttpContext context, string name) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var attempt = CallbackAttempts.AddOrUpdate(name, 1, (_, count) => count + 1);
            var fail = int.TryParse(context.Request.Query["fail"], CultureInfo.InvariantCulture, out var failures) ? failures : 0;
            if (attempt <= fail || CallbacksRefused.ContainsKey(name))
            {
                return Results.StatusCode(500);
            }

            Callbacks.GetOrAdd(name, _ => new(TaskCreationOptions.RunContinuationsAsynchronously))
                .TrySetResult((new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value)), body.ToArray()));
            return Results.Ok();
        });

        // Gate: records the arrival, then answers once the test opens the gate; with ?bytes=n, n pattern bytes streamed without a length.
        app.MapMethods("/gate/{tag}", ["GET", "POST"], async (HttpContext context, string tag) =>
        {
            GateArrivals.GetOrAdd(tag, _ => new ConcurrentQueue<string>()).Enqueue(context.Request.Headers["Idempotency-Key"].ToString());
            GateConnections.TryAdd(context.Connection.Id, 0);
            GateArrived.Release();
            await GateOpen.Task.WaitAsync(context.RequestAborted);
            if (!int.TryParse(context.Request.Query["bytes"], CultureInfo.InvariantCulture, out var bytes))
            {
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("through " + tag, context.RequestAborted);
                return;
            }

            var buffer = new byte[bytes];
            FillPattern(buffer, 0);
            for (var sent = 0; sent < bytes; sent += 64 * 1024)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(sent, Math.Min(64 * 1024, bytes - sent)), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        });

        // Cacheable: counts arrivals per tag and answers with ?cc= as Cache-Control, ?vary= as Vary, ?cookie=1 a Set-Cookie,
        // ?status= its status; the body is ?bytes=n pattern bytes, or says the tag, the arrival and the request's Accept.
        // With ?gate=1 it answers once the test opens the gate (signalling GateArrived).
        app.MapGet("/cacheable/{tag}", async (HttpContext context, string tag) =>
        {
            var query = context.Request.Query;
            var arrival = CacheableArrivals.AddOrUpdate(tag, 1, (_, count) => count + 1);
            if (query.ContainsKey("gate"))
            {
                GateArrived.Release();
                await GateOpen.Task.WaitAsync(context.RequestAborted);
            }

            var response = context.Response;
            response.StatusCode = int.TryParse(query["status"], CultureInfo.InvariantCulture, out var status) ? status : 200;
            if (query["cc"].ToString() is { Length: > 0 } cacheControl)
            {
                response.Headers.CacheControl = cacheControl;
            }

            if (query["vary"].ToString() is { Length: > 0 } vary)
            {
                response.Headers.Vary = vary;
            }

            if (query.ContainsKey("cookie"))
            {
                response.Headers.SetCookie = "session=1";
            }

            if (int.TryParse(query["bytes"], CultureInfo.InvariantCulture, out var bytes))
            {
                var buffer = new byte[bytes];
                FillPattern(buffer, 0);
                response.ContentType = "application/octet-stream";
                await response.Body.WriteAsync(buffer, context.RequestAborted);
                return;
            }

            if (response.StatusCode != 204)
            {
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync($"{tag} #{arrival} for {context.Request.Headers.Accept}", context.RequestAborted);
            }
        });

        // Hang: never answers; records when the relay closes the connection.
        app.MapGet("/hang", async (HttpContext context) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                HangAborted.TrySetResult();
            }
        });
    }

    private static async Task WriteEchoAsync(HttpContext context, byte[] body)
    {
        var request = context.Request;
        var response = context.Response;
        response.StatusCode = int.TryParse(request.Query["status"], CultureInfo.InvariantCulture, out var status) ? status : 200;
        response.Headers["X-Method"] = request.Method;
        foreach (var (name, value) in request.Headers.Where(h => h.Key.StartsWith("X-Echo-", StringComparison.OrdinalIgnoreCase)))
        {
            response.Headers[name] = value;
        }

        if (request.ContentType is { } type)
        {
            response.ContentType = type;
        }

        if (response.StatusCode is not (204 or 304))
        {
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    }
}
