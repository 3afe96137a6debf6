using System.Net;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;
using Relay.Tests.Shared;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// Responses kept for requests answered 202 on a disk that fails: full, cutting a write off part
/// way, or refusing a delete. The poll or callback gets an <c>async-response-not-kept</c> problem
/// instead of a broken body, what was written goes, the storage budget gets its bytes back, a purge
/// goes on past a file it cannot delete, and the node keeps working.
/// Both nodes run on one in-memory file system (their SQLite databases on the real disk).
/// </summary>
public sealed class AsyncKeptResponseFaultTests : IAsyncLifetime, IDisposable
{
    private const int FrameFailedEvent = 2205;
    private const int PurgedEvent = 2015;
    private readonly TemporaryFolder _folder = new();
    private readonly LogCapture _logs = new();
    private readonly FaultyFileSystem _fileSystem;
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public AsyncKeptResponseFaultTests()
    {
        var keptBySiteA = Path.Combine(_folder.Path, "state-site-a", "async");
        _fileSystem = new FaultyFileSystem { Affects = path => path.StartsWith(keptBySiteA, StringComparison.Ordinal) };
    }

    private string KeptFolder => Path.Combine(_relay.OptionsA.Node.StateDirectory, "async");

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(
            _folder, _callee.BaseUrl, FaultProfile.Lossless, a => a.Ingress!.AllowedCallbacks.Add(_callee.BaseUrl + "callback/"), logsA: _logs, fileSystem: _fileSystem);
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
    public async Task FullDisk_PollGetsAProblem_NothingIsLeft_AndTheNextResponseIsKept()
    {
        _fileSystem.FailWrites(1);
        var location = await AcceptedAsync("/raw/download/200000");

        using var poll = await PollUntilAnsweredAsync(location);

        await Problem.AssertAsync(poll, 502, "async-response-not-kept");
        Assert.Equal(1, _fileSystem.WritesFailed);
        AssertNothingKept();
        await AssertStillKeepsResponsesAsync();
    }

    [Fact]
    public async Task FullDisk_CallbackGetsTheProblem()
    {
        _fileSystem.FailWrites(1);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/raw/download/200000");
        request.Headers.Add("Relay-Callback", _callee.BaseUrl + "callback/full");
        using var accepted = await _relay.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        var (headers, body) = await _callee.CallbackTo("full").WaitAsync(TimeSpan.FromMinutes(1));

        Problem.AssertCallback(headers, body, 502, "async-response-not-kept");
        AssertNothingKept();
    }

    [Fact]
    public async Task WriteCutOffPartWay_PollGetsAProblem_AndAfterARestartStillNotTheHalfFile()
    {
        // Several 64 KiB chunks: the cut falls inside a later one, after whole records were kept.
        _fileSystem.FailWrites(1, bytesBeforeFailure: 150_000);
        var location = await AcceptedAsync("/raw/download/400000");

        using (var poll = await PollUntilAnsweredAsync(location))
        {
            await Problem.AssertAsync(poll, 502, "async-response-not-kept");
        }

        Assert.Equal(1, _fileSystem.WritesFailed);
        AssertNothingKept();

        await _relay.RestartAAsync();

        using var afterRestart = await _relay.Client.GetAsync(location);
        await Problem.AssertAsync(afterRestart, 502, "async-response-not-kept");
        AssertNothingKept();
        await AssertStillKeepsResponsesAsync();
    }

    [Fact]
    public async Task DeleteThatThrowsDuringAPurge_DoesNotStopTheOtherDeletes_NorTheNextPurge()
    {
        var locations = new[] { await KeptAsync(), await KeptAsync() };

        // Expired at once; each start purges at its first sweep.
        _relay.OptionsA.Ingress!.AsyncResponseLifetime = TimeSpan.FromMilliseconds(1);
        _fileSystem.FailDeletes(1);
        await _relay.RestartAAsync();
        await _logs.WaitForAsync(PurgedEvent, message => message.Contains("Forgot 1 expired", StringComparison.Ordinal) && message.Contains("; 1 could not", StringComparison.Ordinal));

        Assert.Equal(1, _fileSystem.DeletesFailed);
        var left = Assert.Single(_fileSystem.Directory.EnumerateFiles(KeptFolder));
        Assert.Equal(_fileSystem.FileInfo.New(left).Length, _relay.NodeA.GetStatus().AsyncStorageBytes);
        foreach (var location in locations)
        {
            using var expired = await _relay.Client.GetAsync(location);
            await Problem.AssertAsync(expired, 404, "unknown-request");
        }

        await _relay.RestartAAsync();
        await _logs.WaitForAsync(PurgedEvent, message => message.Contains("Forgot 1 expired", StringComparison.Ordinal) && message.Contains("; 0 could not", StringComparison.Ordinal));

        AssertNothingKept();
    }

    private void AssertNothingKept()
    {
        Assert.Empty(_fileSystem.Directory.EnumerateFiles(KeptFolder));
        Assert.Equal(0, _relay.NodeA.GetStatus().AsyncStorageBytes);
        Assert.DoesNotContain(_logs.Lines, line => line.EventId == FrameFailedEvent);
        Assert.All(_relay.NodeA.GetStatus().Loops, loop => Assert.Equal(0, loop.Failures));
    }

    // The failure stayed with its request: the next response is kept whole and counted.
    private async Task AssertStillKeepsResponsesAsync()
    {
        var location = await AcceptedAsync("/raw/download/100000");
        using var poll = await PollUntilAnsweredAsync(location);
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        var expected = new byte[100000];
        TestCallee.FillPattern(expected, 0);
        Assert.Equal(expected, await poll.Content.ReadAsByteArrayAsync());
        var onDisk = _fileSystem.Directory.EnumerateFiles(KeptFolder).Sum(path => _fileSystem.FileInfo.New(path).Length);
        Assert.InRange(onDisk, 100000, 110000);
        Assert.Equal(onDisk, _relay.NodeA.GetStatus().AsyncStorageBytes);
    }

    // A response kept whole and polled once.
    private async Task<string> KeptAsync()
    {
        var location = await AcceptedAsync("/raw/download/50000");
        using var poll = await PollUntilAnsweredAsync(location);
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        return location;
    }

    private async Task<string> AcceptedAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Prefer", "respond-async");
        using var accepted = await _relay.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        return accepted.Headers.Location!.ToString();
    }

    private Task<HttpResponseMessage> PollUntilAnsweredAsync(string location) => _relay.Client.PollUntilAnsweredAsync(location);
}
