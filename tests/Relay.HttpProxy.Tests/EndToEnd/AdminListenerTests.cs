using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Relay.Host.Hosting;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>Node status lives on the admin listener, apart from the callers' port.</summary>
public sealed class AdminListenerTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless, a => a.Admin.Urls = "http://127.0.0.1:0");
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AdminListener_ServesStatusAndHealth_OnItsOwnPort()
    {
        using var echo = await _relay.Client.GetAsync("/svc/echo/x");
        echo.EnsureSuccessStatusCode();
        var admin = _relay.ServicesA.GetRequiredService<AdminListener>();
        using var client = new HttpClient { BaseAddress = new Uri(admin.Addresses.Single()) };

        var status = await client.GetStringAsync("/relay/status");
        using var health = await client.GetAsync("/relay/health");

        Assert.NotEqual(_relay.Ingress.Port, client.BaseAddress.Port);
        Assert.Contains("\"peer\": \"site-b\"", status, StringComparison.Ordinal);
        Assert.Contains("\"acknowledged\"", status, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task AdminListener_DoesNotRelay()
    {
        var admin = _relay.ServicesA.GetRequiredService<AdminListener>();
        using var client = new HttpClient { BaseAddress = new Uri(admin.Addresses.Single()) };

        using var response = await client.GetAsync("/svc/echo/x");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(_callee.Arrivals.IsEmpty, "the admin listener relayed a request");
    }
}
