using System.Diagnostics;
using System.Globalization;
using System.IO.Abstractions;
using System.Net;
using System.Text.Json;
using Relay.Layer1.Identity;

namespace Relay.Benchmarks;

/// <summary>
/// HTTP through two nodes (each its own <c>relay run</c> process) over one lossless local folder,
/// against calling the callee directly: small-request round trips, requests per second with 64
/// concurrent callers, 1 GiB upload and download, and each node's peak working set.
/// </summary>
internal static class HttpBenchmark
{
    private const int Concurrency = 64;

    public static async Task<int> RunAsync(bool quick, TextWriter output)
    {
        var root = Path.Combine(Path.GetTempPath(), "relay-bench-http-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        await using var callee = await BenchmarkCallee.StartAsync();
        var port = FreePort();
        WriteSetup(root, callee.BaseUrl, port);
        using var nodeA = NodeProcess.Start(Path.Combine(root, "a.json"));
        using var nodeB = NodeProcess.Start(Path.Combine(root, "b.json"));
        try
        {
            using var handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 256, AutomaticDecompression = DecompressionMethods.None };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(10) };
            var relay = $"http://127.0.0.1:{port}/svc/";
            await WaitForHealthAsync(client, $"http://127.0.0.1:{port}/relay/health");
            output.WriteLine($"http over {root} ({Environment.ProcessorCount} cores), nodes as processes, callee {callee.BaseUrl}");

            var samples = quick ? 300 : 2_000;
            await RoundTripsAsync(client, relay + "small", 200);
            var relayed = await RoundTripsAsync(client, relay + "small", samples);
            await RoundTripsAsync(client, callee.BaseUrl + "small", 200);
            var direct = await RoundTripsAsync(client, callee.BaseUrl + "small", samples);
            output.WriteLine($"round trip, {samples} sequential small GETs: relay p50 {Percentile(relayed, 0.5):F2} ms, p99 {Percentile(relayed, 0.99):F2} ms; direct p50 {Percentile(direct, 0.5):F2} ms");

            var duration = TimeSpan.FromSeconds(quick ? 3 : 10);
            await RequestsPerSecondAsync(client, relay + "small", TimeSpan.FromSeconds(1));
            var relayRate = await RequestsPerSecondAsync(client, relay + "small", duration);
            var directRate = await RequestsPerSecondAsync(client, callee.BaseUrl + "small", duration);
            output.WriteLine($"requests per second, {Concurrency} concurrent callers for {duration.TotalSeconds:F0} s: relay {relayRate:F0}, direct {directRate:F0}");

            var eventCount = quick ? 200 : 1_000;
            await EventLatenciesAsync(client, relay + "events?count=50&interval=5");
            var events = await EventLatenciesAsync(client, relay + $"events?count={eventCount}&interval=5");
            output.WriteLine($"event stream, {eventCount} events 5 ms apart: written by the callee to read by the caller p50 {Percentile(events, 0.5):F2} ms, p99 {Percentile(events, 0.99):F2} ms");

            var bulk = quick ? 256L << 20 : 1L << 30;
            var runs = quick ? 1 : 3;
            await UploadAsync(client, relay + "upload", 64L << 20);
            var uploads = new List<double>();
            var downloads = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                uploads.Add(await UploadAsync(client, relay + "upload", bulk));
                downloads.Add(await DownloadAsync(client, relay + $"download/{bulk}", bulk));
            }

            output.WriteLine($"upload {bulk >> 20} MiB: median {Median(uploads):F0} MB/s (runs: {Join(uploads)}); download: median {Median(downloads):F0} MB/s (runs: {Join(downloads)})");

            var rssA = nodeA.PeakWorkingSetMb();
            var rssB = nodeB.PeakWorkingSetMb();
            output.WriteLine($"peak working set: entry node {rssA:F0} MB, exit node {rssB:F0} MB");
            var result = new Dictionary<string, double>
            {
                ["rtt_p50_ms"] = Math.Round(Percentile(relayed, 0.5), 3),
                ["rtt_p99_ms"] = Math.Round(Percentile(relayed, 0.99), 3),
                ["direct_rtt_p50_ms"] = Math.Round(Percentile(direct, 0.5), 3),
                ["req_s"] = Math.Round(relayRate, 0),
                ["direct_req_s"] = Math.Round(directRate, 0),
                ["upload_mb_s"] = Math.Round(Median(uploads), 1),
                ["download_mb_s"] = Math.Round(Median(downloads), 1),
                ["peak_rss_mb"] = Math.Round(Math.Max(rssA, rssB), 1),
                ["event_p50_ms"] = Math.Round(Percentile(events, 0.5), 3),
                ["event_p99_ms"] = Math.Round(Percentile(events, 0.99), 3),
            };
            output.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        finally
        {
            nodeA.Dispose();
            nodeB.Dispose();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<List<double>> RoundTripsAsync(HttpClient client, string url, int count)
    {
        var latencies = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(url);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return latencies;
    }

    // The callee is in this process, so its Stopwatch timestamps and ours are on one clock.
    private static async Task<List<double>> EventLatenciesAsync(HttpClient client, string url)
    {
        var latencies = new List<double>();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var written = long.Parse(line.AsSpan(6), CultureInfo.InvariantCulture);
                latencies.Add(Stopwatch.GetElapsedTime(written).TotalMilliseconds);
            }
        }

        return latencies;
    }

    private static async Task<double> RequestsPerSecondAsync(HttpClient client, string url, TimeSpan duration)
    {
        long completed = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var callers = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                using var response = await client.GetAsync(url);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                Interlocked.Increment(ref completed);
            }
        });
        await Task.WhenAll(callers);
        return completed / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<double> UploadAsync(HttpClient client, string url, long length)
    {
        var started = Stopwatch.GetTimestamp();
        using var content = new StreamContent(new NoiseStream(length), 256 * 1024);
        content.Headers.ContentLength = length;
        using var response = await client.PostAsync(url, content);
        response.EnsureSuccessStatusCode();
        var received = long.Parse(await response.Content.ReadAsStringAsync(), CultureInfo.InvariantCulture);
        if (received != length)
        {
            throw new InvalidOperationException($"the callee received {received} of {length} bytes");
        }

        return length / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
    }

    private static async Task<double> DownloadAsync(HttpClient client, string url, long length)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        if (total != length)
        {
            throw new InvalidOperationException($"the caller received {total} of {length} bytes");
        }

        return length / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e6;
    }

    private static async Task WaitForHealthAsync(HttpClient client, string url)
    {
        for (var i = 0; i < 600; i++)
        {
            try
            {
                using var response = await client.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("the entry node never became healthy");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WriteSetup(string root, string calleeBaseUrl, int port)
    {
        var keys = Path.Combine(root, "keys");
        foreach (var id in new[] { "site-a", "site-b" })
        {
            using var pair = NodeKeyPair.Generate(id);
            pair.Save(new FileSystem(), keys);
        }

        const string Quiet = "\"Logging\": { \"LogLevel\": { \"Default\": \"Warning\" } },";
        File.WriteAllText(Path.Combine(root, "a.json"), $$"""
            { {{Quiet}} "Relay": {
              "Node": { "Id": "site-a", "PrivateKeyFile": "keys/site-a.private.json", "StateDirectory": "state/a" },
              "Peers": [ { "Id": "site-b", "PublicKeyFile": "keys/site-b.public.json" } ],
              "Exchange": { "Outbox": "exchange", "Inbox": "exchange" },
              "Ingress": { "Urls": "http://127.0.0.1:{{port}}",
                           "Routes": [ { "PathPrefix": "/svc/", "Peer": "site-b", "Target": "{{calleeBaseUrl}}" } ] } } }
            """);
        File.WriteAllText(Path.Combine(root, "b.json"), $$"""
            { {{Quiet}} "Relay": {
              "Node": { "Id": "site-b", "PrivateKeyFile": "keys/site-b.private.json", "StateDirectory": "state/b" },
              "Peers": [ { "Id": "site-a", "PublicKeyFile": "keys/site-a.public.json" } ],
              "Exchange": { "Outbox": "exchange", "Inbox": "exchange" },
              "Egress": { "AllowedTargets": [ "{{calleeBaseUrl}}" ] } } }
            """);
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        var index = Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1);
        return sorted[index];
    }

    private static string Join(List<double> values) => string.Join(", ", values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)));
}
