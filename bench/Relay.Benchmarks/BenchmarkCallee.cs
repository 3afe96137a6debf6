using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Relay.Benchmarks;

/// <summary>The callee of the http benchmark: a small answer, an upload sink, a download source of incompressible bytes.</summary>
internal sealed class BenchmarkCallee : IAsyncDisposable
{
    private static readonly byte[] SmallAnswer = "{\"status\":\"ok\",\"service\":\"relay-benchmark\",\"items\":[1,2,3,4,5,6,7,8,9,10],\"note\":\"small\"}"u8.ToArray();

    private readonly WebApplication _app;

    private BenchmarkCallee(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>1 MiB of random bytes, repeated: more than Brotli's window, so bodies made of it do not compress.</summary>
    public static byte[] Noise { get; } = CreateNoise();

    public static async Task<BenchmarkCallee> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        app.MapGet("/small", () => Results.Bytes(SmallAnswer, "application/json"));
        app.MapPost("/upload", async (HttpContext context) =>
        {
            var buffer = new byte[256 * 1024];
            long total = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                total += read;
            }

            return Results.Text(total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        app.MapGet("/download/{length:long}", async (HttpContext context, long length) =>
        {
            context.Response.ContentLength = length;
            context.Response.ContentType = "application/octet-stream";
            for (long sent = 0; sent < length;)
            {
                var count = (int)Math.Min(Noise.Length, length - sent);
                await context.Response.Body.WriteAsync(Noise.AsMemory(0, count), context.RequestAborted);
                sent += count;
            }
        });
        // Events: ?count= events ?interval= ms apart, each carrying the Stopwatch timestamp at which it was written.
        app.MapGet("/events", async (HttpContext context) =>
        {
            var count = int.Parse(context.Request.Query["count"]!, System.Globalization.CultureInfo.InvariantCulture);
            var interval = TimeSpan.FromMilliseconds(int.Parse(context.Request.Query["interval"]!, System.Globalization.CultureInfo.InvariantCulture));
            context.Response.ContentType = "text/event-stream";
            for (var id = 0; id < count; id++)
            {
                await context.Response.WriteAsync($"id: {id}\ndata: {System.Diagnostics.Stopwatch.GetTimestamp()}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(interval, context.RequestAborted);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BenchmarkCallee(app, address + "/");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static byte[] CreateNoise()
    {
        var noise = new byte[1024 * 1024];
        new Random(7).NextBytes(noise);
        return noise;
    }
}
