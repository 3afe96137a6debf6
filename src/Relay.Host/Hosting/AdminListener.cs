using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relay.Host.Configuration;
using Relay.Host.Diagnostics;
using Relay.Host.Status;

namespace Relay.Host.Hosting;

/// <summary>
/// The operator's listener (<c>Relay:Admin:Urls</c>): node status and health on a port of its own,
/// loopback unless allowed otherwise, so callers on the ingress port never see peer ids, counters
/// or round-trip times. A Kestrel server of its own, so a node without ingress can have one too.
/// </summary>
public sealed class AdminListener : IHostedService, IAsyncDisposable
{
    private readonly AdminOptions _options;
    private readonly RelayNode _node;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private WebApplication? _app;

    public AdminListener(RelayOptions options, RelayNode node, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = options.Admin;
        _node = node;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<AdminListener>();
    }

    /// <summary>The addresses it listens on, once started (the real ports where the URLs asked for port 0).</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(_loggerFactory);
        builder.Services.AddRoutingCore();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.WebHost.UseUrls(ListenAddresses.Split(_options.Urls));
        var app = builder.Build();
        app.UseRouting();
        app.MapGet("/relay/status", (HttpContext context) => _node.IsRunning
            ? Results.Json(_node.GetStatus(), StatusJsonContext.Default.NodeStatusDocument)
            : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node starting"));
        app.MapGet("/relay/health", (HttpContext context) => RelayHost.Health(_node));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        Addresses = [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
        HostLog.AdminListening(_logger, string.Join(", ", Addresses));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
    }
}
