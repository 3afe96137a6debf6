using System.IO.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relay.Host.Configuration;
using Relay.Host.Diagnostics;
using Relay.Host.Status;
using Relay.HttpProxy.Http;

namespace Relay.Host.Hosting;

/// <summary>
/// Builds the host for one node: a web application with the ingress listener when the node has
/// ingress, a plain generic host otherwise. Either stops cleanly on Ctrl-C and SIGTERM.
/// </summary>
public static class RelayHost
{
    /// <param name="options">The node's validated options.</param>
    /// <param name="configuration">The configuration they came from (logging settings).</param>
    /// <param name="configureLogging">Log providers; a single-line console when null.</param>
    /// <param name="keyring">The node's keys, when already loaded (by <c>relay run</c>'s start-up checks); loaded from the options' files when null.</param>
    /// <param name="fileSystem">What the node's folders and state are read and written through; the machine's own when null.</param>
    public static IHost Build(
        RelayOptions options, IConfiguration configuration, Action<ILoggingBuilder>? configureLogging = null, NodeKeyring? keyring = null, IFileSystem? fileSystem = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        configureLogging ??= logging => logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });

        if (options.Ingress is not { } ingress)
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            Configure(builder.Configuration, builder.Logging, builder.Services, options, configuration, configureLogging, keyring, fileSystem ?? new FileSystem());
            return builder.Build();
        }

        var web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        Configure(web.Configuration, web.Logging, web.Services, options, configuration, configureLogging, keyring, fileSystem ?? new FileSystem());
        web.Services.AddRoutingCore();
        web.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.ConfigureEndpointDefaults(RequestConnectionTokens.Observe);
        });
        web.WebHost.UseUrls(ingress.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var app = web.Build();
        var node = app.Services.GetRequiredService<RelayNode>();
        // The bound addresses, not the configured ones: port 0 shows the port it got.
        app.Lifetime.ApplicationStarted.Register(() => HostLog.IngressListening(
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<RelayNode>(),
            string.Join(", ", app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])));
        app.Use(RequestConnectionTokens.Middleware);
        app.UseRouting();
        // Callers' port: relayed routes, health and async responses only; status is on the admin listener.
        app.MapGet("/relay/health", (HttpContext context) => Health(node));
        app.MapGet("/relay/requests/{id}", (HttpContext context, string id) => node.IsRunning
            ? node.Relay.ServeAsyncResponseAsync(context, id)
            : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node starting").ExecuteAsync(context));
        app.MapFallback("{**path}", context => node.IsRunning
            ? node.Relay.ForwardAsync(context)
            : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node starting", detail: "The node is opening its channels; try again shortly.").ExecuteAsync(context));
        return app;
    }

    /// <summary>The answer of <c>GET /relay/health</c>, on the ingress and the admin listener alike.</summary>
    internal static IResult Health(RelayNode node)
    {
        var health = node.GetHealth();
        return Results.Json(health, StatusJsonContext.Default.HealthDocument, statusCode: health.Status is "starting" or "down" ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    private static void Configure(
        IConfigurationManager target,
        ILoggingBuilder logging,
        IServiceCollection services,
        RelayOptions options,
        IConfiguration configuration,
        Action<ILoggingBuilder> configureLogging,
        NodeKeyring? keyring,
        IFileSystem fileSystem)
    {
        // Copied rather than chained: the host writes settings (such as its URLs) into its configuration.
        target.AddInMemoryCollection(configuration.AsEnumerable());
        logging.ClearProviders();
        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        configureLogging(logging);
        services.AddMetrics();
        services.AddSingleton(options);
        services.AddSingleton(fileSystem);
        services.AddSingleton(_ => keyring ?? NodeKeyring.Load(options, fileSystem));
        services.AddSingleton<RelayNode>();
        services.AddHostedService(provider => provider.GetRequiredService<RelayNode>());
        if (ListenAddresses.Split(options.Admin.Urls).Length > 0)
        {
            services.AddSingleton<AdminListener>();
            services.AddHostedService(provider => provider.GetRequiredService<AdminListener>());
        }
    }
}
