using System.IO.Abstractions;
using System.Net;
using System.Net.Sockets;
using Relay.Host.Status;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>What an operator reads: logs, problem texts, status after a stop, all saying plainly what happened.</summary>
public sealed class OperatorMessagesTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly LogCapture _logs = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;
    private int _closedPort;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            _closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless, a =>
        {
            a.Ingress!.AllowedCallbacks.Add(_callee.BaseUrl + "callback/");
            a.Ingress.AllowedCallbacks.Add($"http://127.0.0.1:{_closedPort}/hooks/");
            a.Ingress.CallbackFirstRetryDelay = TimeSpan.FromMilliseconds(100);
            a.Ingress.CallbackMaxRetryDelay = TimeSpan.FromMilliseconds(200);
        }, logsA: _logs);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose()
    {
        _logs.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task StartUp_LogsTheAddressTheIngressGot()
    {
        var line = await _logs.WaitForAsync(3061);

        Assert.Equal($"Ingress listening on {_relay.Ingress.GetLeftPart(UriPartial.Authority)}", line);
    }

    [Fact]
    public async Task RefusedCallback_IsLoggedWithItsReason_TheRequestIdAsInItsHeader_AndNoQuery()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/cb") { Content = new StringContent("x") };
        request.Headers.Add("Relay-Callback", $"http://127.0.0.1:{_closedPort}/hooks/done?token=s3cret");
        using var accepted = await _relay.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = accepted.Headers.GetValues("Relay-Request-Id").Single();

        var line = await _logs.WaitForAsync(2011);

        // The query is never logged: it may carry a token.
        Assert.StartsWith($"Request {id}: callback to http://127.0.0.1:{_closedPort}/hooks/done?… failed (the connection failed: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(_logs.Lines, l => l.Message.Contains("s3cret", StringComparison.Ordinal));
        Assert.Contains($"/relay/requests/{id}", accepted.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallbackAnsweredWithAnError_IsLoggedWithTheStatus()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/cb2") { Content = new StringContent("x") };
        request.Headers.Add("Relay-Callback", _callee.BaseUrl + "callback/c9?fail=1");
        using var accepted = await _relay.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        var line = await _logs.WaitForAsync(2011);

        Assert.Matches(@"failed \(the receiver answered 5\d\d ", line);
    }

    [Fact]
    public async Task ProblemTexts_HavePlainQuotes()
    {
        using var response = await _relay.Client.GetAsync("/nowhere");

        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("No ingress route matches '/nowhere'.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0027", body, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task CleanStop_LeavesAStatusThatSaysStopped()
    {
        var state = _relay.OptionsA.Node.StateDirectory;
        Assert.Equal(NodeStates.Running, StatusFile.Read(new FileSystem(), state)!.State);

        await _relay.DisposeAsync();

        Assert.Equal(NodeStates.Stopped, StatusFile.Read(new FileSystem(), state)!.State);
        var config = Path.Combine(_folder.Path, "a-status.json");
        await File.WriteAllTextAsync(config, $$"""{ "Relay": { "Node": { "StateDirectory": "{{state}}" } } }""");
        var (exit, output) = await RelayProcess.RunVerbAsync("status", "--config", config);
        Assert.Equal(3, exit);
        Assert.Contains("node site-a: stopped (at ", output, StringComparison.Ordinal);
    }
}
