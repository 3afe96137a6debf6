using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Relay.Host.Configuration;
using Relay.Host.Hosting;
using Relay.HttpProxy.Tests.Support;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>Node status lives on the admin listener, apart from the callers' port.</summary>
public sealed class AdminListenerTests : LosslessRelayTest
{
    private protected override void ConfigureA(RelayOptions a) => a.Admin.Urls = "http://127.0.0.1:0";

    [Fact]
    public async Task AdminListener_ServesStatusAndHealth_OnItsOwnPort()
    {
        using var echo = await Relay.Client.GetAsync("/svc/echo/x");
        echo.EnsureSuccessStatusCode();
        var admin = Relay.ServicesA.GetRequiredService<AdminListener>();
        using var client = new HttpClient { BaseAddress = new Uri(admin.Addresses.Single()) };

        var status = await client.GetStringAsync("/relay/status");
        using var health = await client.GetAsync("/relay/health");

        Assert.NotEqual(Relay.Ingress.Port, client.BaseAddress.Port);
        Assert.Contains("\"peer\": \"site-b\"", status, StringComparison.Ordinal);
        Assert.Contains("\"acknowledged\"", status, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task AdminListener_DoesNotRelay()
    {
        var admin = Relay.ServicesA.GetRequiredService<AdminListener>();
        using var client = new HttpClient { BaseAddress = new Uri(admin.Addresses.Single()) };

        using var response = await client.GetAsync("/svc/echo/x");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(Callee.Arrivals.IsEmpty, "the admin listener relayed a request");
    }
}
