using System.Net;
using System.Security.Cryptography;
using System.Text;
using Relay.HttpProxy.Tests.Support;
using Relay.Layer1.Faults;

namespace Relay.HttpProxy.Tests.EndToEnd;

/// <summary>
/// Real callers, real nodes, a real callee, and between the nodes a folder that loses, duplicates,
/// truncates, corrupts and reorders files.
/// </summary>
[Collection(nameof(HeavyTests))]
public sealed class FaultyFolderTests : IAsyncLifetime, IDisposable
{
    private static readonly FaultProfile Faulty = HostileFolder.Profile(15);

    private readonly TemporaryFolder _folder = new();
    private TestCallee _callee = null!;
    private RelayPair _relay = null!;

    public async Task InitializeAsync()
    {
        _callee = await TestCallee.StartAsync();
        _relay = await RelayPair.StartAsync(_folder, _callee.BaseUrl, Faulty);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _callee.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task FiveHundredConcurrentMixedRequests_AreEachServedOnce_WithStatusHeadersAndBodiesIntact()
    {
        string[] methods = ["GET", "POST", "PUT", "DELETE"];
        int[] statuses = [200, 201, 202, 204, 400, 404, 409, 500, 503];
        var requests = Enumerable.Range(0, 500).Select(async i =>
        {
            var method = methods[i % methods.Length];
            var status = statuses[i % statuses.Length];
            var body = method is "POST" or "PUT" ? BodyFor(i) : [];
            using var request = new HttpRequestMessage(new HttpMethod(method), $"/svc/echo/{i}?status={status}");
            request.Headers.Add("X-Tag", $"t{i}");
            request.Headers.Add("X-Echo-Custom", $"value {i}");
            if (body.Length > 0)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new(i % 3 == 0 ? "application/json" : "application/octet-stream");
            }

            using var response = await _relay.Client.SendAsync(request);
            var received = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal(method, response.Headers.GetValues("X-Method").Single());
            Assert.Equal($"value {i}", response.Headers.GetValues("X-Echo-Custom").Single());
            Assert.Equal(status == 204 ? [] : body, received);
        });

        await Task.WhenAll(requests);

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(1, _callee.ExecutionsOf($"t{i}"));
        }

        // The folder really was hostile, and the nodes said so.
        var counters = _relay.Pipes[0].Counters;
        // Which faults a short run meets depends on how messages were batched into files; some must have been met.
        Assert.True(counters.Lost + counters.Truncated + counters.Corrupted + counters.Duplicated > 0, "the pipe applied no faults");
        var rejectedAtB = _relay.NodeB.GetStatus().Peers.Single().RejectedFiles;
        Assert.True(rejectedAtB.Values.Sum() > 0);
    }

    [Fact]
    public async Task Upload256MiB_ArrivesIntact()
    {
        const long length = 256L * 1024 * 1024;
        using var content = new StreamContent(new PatternStream(length), 256 * 1024);
        content.Headers.ContentLength = length;
        using var response = await _relay.Client.PostAsync("/raw/upload", content);
        response.EnsureSuccessStatusCode();
        Assert.Equal($"{length}:{PatternHash(length)}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Download256MiB_ArrivesIntact_WithItsContentLength()
    {
        const long length = 256L * 1024 * 1024;
        using var response = await _relay.Client.GetAsync($"/svc/download/{length}", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal(length, response.Content.Headers.ContentLength);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        Assert.Equal(length, total);
        Assert.Equal(PatternHash(length), Convert.ToHexString(hash.GetHashAndReset()));
    }

    internal static string PatternHash(long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        for (long position = 0; position < length; position += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, length - position);
            TestCallee.FillPattern(buffer.AsSpan(0, count), position);
            hash.AppendData(buffer, 0, count);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    // Sizes from empty to several chunks; every third compressible text, the rest random.
    private static byte[] BodyFor(int i)
    {
        var random = new Random(i);
        var length = (i % 10) switch
        {
            0 => 0,
            1 => 600 * 1024 + random.Next(1000),
            2 => 300 * 1024,
            _ => random.Next(1, 20_000),
        };
        if (i % 3 == 0)
        {
            return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat($"{{\"request\":{i},\"ok\":true}},", length / 24 + 1)))[..length];
        }

        var body = new byte[length];
        random.NextBytes(body);
        return body;
    }
}
