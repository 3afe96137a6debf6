using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relay.Host.Configuration;
using Relay.Host.Status;

namespace Relay.Host.Hosting;

/// <summary>
/// Builds the host for one node: a web application with the ingress listener when the node has
/// ingress, a plain generic host otherwise. Either stops cleanly on Ctrl-C and SIGTERM.
/// </summary>
public static class RelayHost
{
    public static IHost Build(RelayOptions options, IConfiguration configuration, Action<ILoggingBuilder>? configureLogging = null)
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
            Configure(builder.Configuration, builder.Logging, builder.Services, options, configuration, configureLogging);
            return builder.Build();
        }

        var web = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        Configure(web.Configuration, web.Logging, web.Services, options, configuration, configureLogging);
        web.Services.AddRoutingCore();
        web.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
        });
        web.WebHost.UseUrls(ingress.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var app = web.Build();
        var node = app.Services.GetRequiredService<RelayNode>();
        app.UseRouting();
        app.MapGet("/relay/health", (HttpContext context) => node.IsRunning
            ? Results.Json(new HealthDocument("up", node.NodeId), StatusJsonContext.Default.HealthDocument)
            : Results.Json(new HealthDocument("starting", node.NodeId), StatusJsonContext.Default.HealthDocument, statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/relay/status", (HttpContext context) => node.IsRunning
            ? Results.Json(node.GetStatus(), StatusJsonContext.Default.NodeStatusDocument)
            : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node starting"));
        app.MapGet("/relay/requests/{id}", (HttpContext context, string id) => node.IsRunning
            ? node.Relay.ServeAsyncResponseAsync(context, id)
            : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node starting").ExecuteAsync(context));
        app.MapFallback("{**path}", context => node.IsRunning
            ? node.Relay.ForwardAsync(context)
            : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Node starting", detail: "The node is opening its channels; try again shortly.").ExecuteAsync(context));
        return app;
    }

    private static void Configure(
        IConfigurationManager target, ILoggingBuilder logging, IServiceCollection services, RelayOptions options, IConfiguration configuration, Action<ILoggingBuilder> configureLogging)
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
        services.AddSingleton<RelayNode>();
        services.AddHostedService(provider => provider.GetRequiredService<RelayNode>());
    }
}
