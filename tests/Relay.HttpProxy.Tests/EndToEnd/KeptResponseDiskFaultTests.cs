using System.Text;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;
using Relay.Tests.Shared;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// The exit node's disk failing under kept responses (the response files for <c>Idempotency-Key</c>
/// repeats): the caller still gets the callee's response whole, nothing half-written stays to be
/// replayed, a repeat is told the response was not kept, and a file that will not go does not stop
/// the purging of others or later requests.
/// </summary>
public sealed class KeptResponseDiskFaultTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TemporaryFolder _folder = new();
    private readonly FaultyFileSystem _fileSystem = new() { Affects = IsKeptResponse };
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    private string Responses => Path.Combine(_relay.OptionsB.Node.StateDirectory, "responses");

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(
            _folder, _callee.BaseUrl, FaultProfile.Lossless, configureB: b => b.Egress!.IdempotencyKeyLifetime = TimeSpan.FromMilliseconds(1), fileSystem: _fileSystem);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task FullDisk_WhileKeeping_CallerGetsTheWholeResponse_AndARepeatIsToldItWasNotKept()
    {
        _fileSystem.FailWrites(1);
        await AssertServedWholeButNotKeptAsync("full");
    }

    [Fact]
    public async Task WriteCutOffPartWay_WhileKeeping_CallerGetsTheWholeResponse_AndARepeatIsToldItWasNotKept()
    {
        _fileSystem.FailWrites(1, bytesBeforeFailure: 100_000);
        await AssertServedWholeButNotKeptAsync("cut");
    }

    [Fact]
    public async Task DeleteThatThrows_WhilePurging_OtherFilesArePurged_AndLaterRequestsAndPurgesWork()
    {
        // Kept with a lifetime of a millisecond: the purge when site-b starts again takes both.
        using (var first = await SendAsync("one", Body(1)))
        using (var second = await SendAsync("two", Body(2)))
        {
            first.EnsureSuccessStatusCode();
            second.EnsureSuccessStatusCode();
        }

        Assert.Equal(2, KeptFiles().Count);
        _fileSystem.FailDeletes(1);
        await _relay.RestartBAsync();
        await UntilAsync(() => _fileSystem.DeletesFailed == 1 && KeptFiles().Count == 1);

        // A request after the failed delete is served and kept, and the next purge takes its file.
        var left = KeptFiles().Single();
        var body = Body(3);
        using (var third = await SendAsync("three", body))
        {
            Assert.Equal(body, await third.Content.ReadAsStringAsync());
        }

        Assert.Equal(2, KeptFiles().Count);
        await _relay.RestartBAsync();
        await UntilAsync(() => KeptFiles().SequenceEqual([left]));
        Assert.Equal(1, _fileSystem.DeletesFailed);
    }

    private static bool IsKeptResponse(string path) => path.EndsWith(".body", StringComparison.Ordinal);

    private static string Body(int seed) => string.Concat(Enumerable.Range(0, 30_000).Select(i => (char)('a' + ((i + seed) % 26)))) + seed;

    private async Task AssertServedWholeButNotKeptAsync(string key)
    {
        // Several chunks, so the failure falls inside the body rather than before it.
        var body = string.Concat(Enumerable.Repeat(Body(7), 10));
        using (var first = await SendAsync(key, body))
        {
            first.EnsureSuccessStatusCode();
            Assert.Equal(body, await first.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, _fileSystem.WritesFailed);
        Assert.Empty(KeptFiles());

        using var repeat = await SendAsync(key, body);
        await Problem.AssertAsync(repeat, 409, "response-not-stored");
        Assert.Equal(1, _callee.ExecutionsOf(key));
    }

    private List<string> KeptFiles() =>
        _fileSystem.Directory.Exists(Responses) ? [.. _fileSystem.Directory.EnumerateFiles(Responses).Order(StringComparer.Ordinal)] : [];

    private async Task<HttpResponseMessage> SendAsync(string key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/svc/echo/kept") { Content = new StringContent(body, Encoding.UTF8) };
        request.Headers.Add("X-Tag", key);
        request.Headers.Add("Idempotency-Key", $"\"{key}\"");
        return await _relay.Client.SendAsync(request);
    }

    // The purge runs on the node's own timer with nothing to await from outside: watch its effect, for a bounded time.
    private async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the condition did not hold in time (deletes failed: {_fileSystem.DeletesFailed}, kept: {string.Join(", ", KeptFiles())})");
            await Task.Delay(50);
        }
    }
}
