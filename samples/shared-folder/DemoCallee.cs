using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Relay.Samples.SharedFolder;

/// <summary>The service on the far side: a few endpoints on Kestrel, on a free loopback port.</summary>
internal sealed class DemoCallee : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoCallee(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<DemoCallee> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        app.MapGet("/hello", () => Results.Text("hello from the far side\n"));
        app.MapPost("/echo", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            return Results.Bytes(body.ToArray(), context.Request.ContentType ?? "application/octet-stream");
        });
        app.MapGet("/bytes/{length:long}", async (HttpContext context, long length) =>
        {
            context.Response.ContentLength = length;
            context.Response.ContentType = "application/octet-stream";
            var buffer = new byte[64 * 1024];
            for (long sent = 0; sent < length;)
            {
                var count = (int)Math.Min(buffer.Length, length - sent);
                Pattern.Fill(buffer.AsSpan(0, count), sent);
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, count), context.RequestAborted);
                sent += count;
            }
        });
        app.MapPost("/upload", async (HttpContext context) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
            }

            return Results.Text($"{total} {Convert.ToHexString(hash.GetHashAndReset())}");
        });
        app.MapGet("/status/{code:int}", (int code) => Results.Text($"the callee answered {code}\n", statusCode: code));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DemoCallee(app, address + "/");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
