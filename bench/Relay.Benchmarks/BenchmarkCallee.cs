using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Relay.Benchmarks;

/// <summary>
/// The callee of the http and links benchmarks: a small answer, upload sinks (one that counts, one
/// that also checksums and one that records what arrived per id), and a download source of
/// incompressible bytes.
/// </summary>
internal sealed class BenchmarkCallee : IAsyncDisposable
{
    private static readonly byte[] SmallAnswer = "{\"status\":\"ok\",\"service\":\"relay-benchmark\",\"items\":[1,2,3,4,5,6,7,8,9,10],\"note\":\"small\"}"u8.ToArray();

    private readonly WebApplication _app;

    private BenchmarkCallee(WebApplication app, string baseUrl, CalleeReceipts receipts)
    {
        _app = app;
        BaseUrl = baseUrl;
        Receipts = receipts;
    }

    public string BaseUrl { get; }

    /// <summary>What arrived on <c>/record/{id}</c>.</summary>
    public CalleeReceipts Receipts { get; }

    /// <summary>1 MiB of random bytes, repeated: more than Brotli's window, so bodies made of it do not compress.</summary>
    public static byte[] Noise { get; } = CreateNoise();

    public static async Task<BenchmarkCallee> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var receipts = new CalleeReceipts();
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
        // Checked upload: answers "LENGTH SHA256", so the caller can verify the body arrived whole and unchanged.
        // Answers "length sha256 seconds", the seconds from the first body byte read to the last.
        app.MapPost("/upload-checked", async (HttpContext context) =>
        {
            var (length, sha256, seconds) = await HashBodyAsync(context);
            return Results.Text(length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + sha256 + " " + seconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        });
        app.MapPost("/record/{id}", async (HttpContext context, string id) =>
        {
            var (length, sha256, _) = await HashBodyAsync(context);
            receipts.Add(id, length, sha256);
            return Results.Text(length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + sha256);
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
        return new BenchmarkCallee(app, address + "/", receipts);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task<(long Length, string Sha256, double Seconds)> HashBodyAsync(HttpContext context)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        long total = 0;
        long first = 0;
        long last = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            last = System.Diagnostics.Stopwatch.GetTimestamp();
            first = first == 0 ? last : first;
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        var seconds = first == 0 ? 0 : System.Diagnostics.Stopwatch.GetElapsedTime(first, last).TotalSeconds;
        return (total, Convert.ToHexStringLower(hash.GetHashAndReset()), seconds);
    }

    private static byte[] CreateNoise()
    {
        var noise = new byte[1024 * 1024];
        new Random(7).NextBytes(noise);
        return noise;
    }
}
