using System.IO.Abstractions;
using System.Net;
using System.Text.Json;
using Relay.Host.Status;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// A loop that fails is never silent: health answers 503 naming it, status says which loop is down,
/// it restarts with backoff and the relay carries on, and the node still stops cleanly while it is down.
/// </summary>
public sealed class LoopSupervisionTests : IAsyncLifetime, IDisposable
{
    // Layer1Log.LoopFailed and LoopRestarted.
    private const int LoopFailedEvent = 1003;
    private const int LoopRestartedEvent = 1004;

    private readonly TemporaryFolder _folder = new();
    private readonly LogCapture _logs = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;
    private ListingFailureFileSystem _fileSystem = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _fileSystem = new ListingFailureFileSystem(Path.Combine(_folder.Path, "site-a-in"));
        _relay = await RelayPair.StartAsync(
            _folder, _callee.BaseUrl, FaultProfile.Lossless, a => a.Exchange.LoopRestartDelay = TimeSpan.FromSeconds(2), logsA: _logs, fileSystemA: _fileSystem);
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
    public async Task FailedLoop_IsDownInHealthAndStatus_ThenRestarts()
    {
        Assert.Equal(_fileSystem.Path.GetFullPath(_relay.OptionsA.Exchange.Inbox), Path.Combine(_folder.Path, "site-a-in"));
        _fileSystem.Failing = true;
        await _logs.WaitForAsync(LoopFailedEvent, line => line.Contains("inbox listing", StringComparison.Ordinal));

        using (var down = await _relay.Client.GetAsync("/relay/health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            var health = JsonDocument.Parse(await down.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("down", health.GetProperty("status").GetString());
            Assert.Contains(health.GetProperty("reasons").EnumerateArray(), reason => reason.GetString()!.StartsWith("The inbox listing loop is down since ", StringComparison.Ordinal));
        }

        var status = _relay.NodeA.GetStatus();
        var loop = Assert.Single(status.Loops, l => l.Name == "inbox listing");
        Assert.False(loop.Running);
        Assert.Equal(1, loop.Failures);
        Assert.StartsWith("InvalidOperationException: Listing ", loop.LastError, StringComparison.Ordinal);
        Assert.All(status.Loops.Where(l => l.Name != "inbox listing"), l => Assert.True(l.Running));

        _fileSystem.Failing = false;
        await _logs.WaitForAsync(LoopRestartedEvent, line => line.Contains("inbox listing", StringComparison.Ordinal));

        using (var up = await _relay.Client.GetAsync("/relay/health"))
        {
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        }

        Assert.True(Assert.Single(_relay.NodeA.GetStatus().Loops, l => l.Name == "inbox listing").Running);
        using var echo = await _relay.Client.GetAsync("/svc/echo/after-restart");
        echo.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task StatusCommand_NamesTheLoopThatIsDown()
    {
        _fileSystem.Failing = true;
        await _logs.WaitForAsync(LoopFailedEvent, line => line.Contains("inbox listing", StringComparison.Ordinal));
        var state = _relay.OptionsA.Node.StateDirectory;

        // The status file is rewritten every second; wait for one written after the failure.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        NodeStatusDocument? written;
        while ((written = StatusFile.Read(new FileSystem(), state)) is null || written.Down.Count == 0)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "No status file showed the loop down.");
            await Task.Delay(100);
        }

        var config = Path.Combine(_folder.Path, "a-status.json");
        await File.WriteAllTextAsync(config, $$"""{ "Relay": { "Node": { "StateDirectory": "{{state}}" } } }""");
        var (_, output) = await RelayProcess.RunVerbAsync("status", "--config", config);

        Assert.Contains("node site-a: running, DOWN;", output, StringComparison.Ordinal);
        Assert.Contains("loop inbox listing: DOWN, 1 failure(s)", output, StringComparison.Ordinal);
        Assert.Contains("DOWN: The inbox listing loop is down since ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_WhileALoopWaitsToRestart_IsClean()
    {
        _fileSystem.Failing = true;
        await _logs.WaitForAsync(LoopFailedEvent, line => line.Contains("inbox listing", StringComparison.Ordinal));

        await _relay.DisposeAsync();

        Assert.Equal(NodeStates.Stopped, StatusFile.Read(new FileSystem(), _relay.OptionsA.Node.StateDirectory)!.State);
        Assert.DoesNotContain(_logs.Lines, line => line.EventId == LoopRestartedEvent);
    }
}
