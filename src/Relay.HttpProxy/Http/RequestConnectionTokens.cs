using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Relay.HttpProxy.Http;

/// <summary>
/// Makes every token of every <c>Connection</c> line of an HTTP/1.1 request known to the relay, which
/// Kestrel alone does not: it reduces <c>Connection: keep-alive, X-Secret</c> to <c>keep-alive</c>.
/// <see cref="Observe"/> goes on the ingress listener; <see cref="Middleware"/> first in its pipeline.
/// </summary>
public static class RequestConnectionTokens
{
    private const string ScannerKey = "Relay.RequestHeadScanner";

    /// <summary>Follows each HTTP/1.1 connection of <paramref name="listen"/>'s endpoint.</summary>
    public static void Observe(ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        listen.Use(next => connection =>
        {
            var scanner = new RequestHeadScanner();
            connection.Items[ScannerKey] = scanner;
            var transport = connection.Transport;
            connection.Transport = new ObservedPipe(new ObservingPipeReader(transport.Input, scanner.Observe), transport.Output);
            return next(connection);
        });
    }

    /// <summary>Takes the current request's tokens from its connection before anything else runs.</summary>
    public static Task Middleware(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ScannerKey, out var item) == true
            && item is RequestHeadScanner scanner
            && (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol)))
        {
            var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
            context.Items[ScannerKey] = scanner.TakeFor(context.Request.Method, target);
        }

        return next(context);
    }

    /// <summary>The tokens of the request's <c>Connection</c> lines as sent, or null when not known (HTTP/2, or the connection not followed).</summary>
    internal static IReadOnlySet<string>? Of(HttpContext context) => context.Items.TryGetValue(ScannerKey, out var tokens) ? tokens as IReadOnlySet<string> : null;

    private sealed class ObservedPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
