using System.Net;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>Every error the relay itself answers is an RFC 9457 problem with its own type.</summary>
public sealed class ProblemResponseTests : IAsyncLifetime, IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, FaultProfile.Lossless, a =>
        {
            a.Ingress!.MaxRequestBodyBytes = 1024 * 1024;
            a.Ingress.Routes.Add(new IngressRouteOptions { PathPrefix = "/quick/", Peer = "site-b", Target = _callee.BaseUrl, Deadline = TimeSpan.FromMilliseconds(500) });
            a.Ingress.Routes.Add(new IngressRouteOptions { PathPrefix = "/closed/", Peer = "site-b", Target = "http://127.0.0.1:1/" });
        }, b => b.Egress!.AllowedTargets.Add("http://127.0.0.1:1/"));
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task UnknownRoute_Is404Problem()
    {
        using var response = await _relay.Client.GetAsync("/nowhere/at/all");
        await Problem.AssertAsync(response, 404, "unknown-route");
    }

    [Fact]
    public async Task TargetOffTheAllowlist_Is403ProblemFromTheExitSide()
    {
        using var response = await _relay.Client.GetAsync("/blocked/anything");
        await Problem.AssertAsync(response, 403, "target-not-allowed");
    }

    [Fact]
    public async Task NoResponseBeforeTheDeadline_Is504Problem_AndTheCalleeCallIsCancelled()
    {
        using var response = await _relay.Client.GetAsync("/quick/hang");
        await Problem.AssertAsync(response, 504, "deadline-exceeded");
        await _callee.HangAborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task DeclaredBodyOverTheLimit_Is413Problem()
    {
        using var content = new ByteArrayContent(new byte[2 * 1024 * 1024]);
        using var response = await _relay.Client.PostAsync("/svc/upload", content);
        await Problem.AssertAsync(response, 413, "body-too-large");
    }

    [Fact]
    public async Task StreamedBodyOverTheLimit_Is413Problem_AndTheCalleeNeverGetsAWholeBody()
    {
        using var content = new StreamContent(new PatternStream(3 * 1024 * 1024));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/svc/upload") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await _relay.Client.SendAsync(request);
        await Problem.AssertAsync(response, 413, "body-too-large");

        // The limit was passed after the head and the first chunks had gone: the far call must be abandoned, not completed short.
        using var after = await _relay.Client.GetAsync("/svc/echo/after");
        after.EnsureSuccessStatusCode();
        Assert.Equal(0, _callee.UploadsCompleted);
    }

    [Fact]
    public async Task CalleeUnreachable_Is502Problem()
    {
        using var response = await _relay.Client.GetAsync("/closed/anything");
        await Problem.AssertAsync(response, 502, "callee-unreachable");
    }

    [Fact]
    public async Task CallerPort_AnswersHealth_ButNotStatus()
    {
        using var health = await _relay.Client.GetAsync("/relay/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        using var status = await _relay.Client.GetAsync("/relay/status");

        await Problem.AssertAsync(status, 404, "unknown-route");
        Assert.DoesNotContain("site-b", await status.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
