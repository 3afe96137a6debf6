using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Relay.Layer1;
using Relay.Layer1.Identity;

namespace Relay.Benchmarks;

/// <summary>
/// Layer 1 on a lossless local folder: two nodes in this process, each writing straight into the
/// folder the other reads. Measures bulk throughput, small-message rate and one-way latency, and
/// prints one JSON line last.
/// </summary>
internal static class Layer1Benchmark
{
    private const int BulkMessageBytes = 1024 * 1024;
    private const int SmallMessageBytes = 200;
    private const int Repeats = 3;

    public static async Task<int> RunAsync(bool quick, TextWriter output)
    {
        var bulkBytes = quick ? 128L * 1024 * 1024 : 1024L * 1024 * 1024;
        var smallCount = quick ? 20_000 : 100_000;
        var latencySamples = quick ? 300 : 2000;

        var root = Path.Combine(Path.GetTempPath(), "relay-bench-" + Guid.NewGuid().ToString("N"));
        using var keysA = NodeKeyPair.Generate("bench-a");
        using var keysB = NodeKeyPair.Generate("bench-b");
        try
        {
            var aToB = Directory.CreateDirectory(Path.Combine(root, "a-to-b")).FullName;
            var bToA = Directory.CreateDirectory(Path.Combine(root, "b-to-a")).FullName;
            await using var a = Layer1Node.Open(Options(Path.Combine(root, "state-a"), aToB, bToA), keysA, [keysB.PublicKeys]);
            await using var b = Layer1Node.Open(Options(Path.Combine(root, "state-b"), bToA, aToB), keysB, [keysA.PublicKeys]);
            output.WriteLine($"layer 1 over {root} ({Environment.ProcessorCount} cores)");

            // Warm-up: tiered compilation reaches its optimised code only after real traffic; a node is a
            // long-running service, so its steady state is what is measured.
            await RunOneWayAsync(a, b, 128, BulkMessageBytes);
            await RunOneWayAsync(a, b, 20_000, SmallMessageBytes);
            var filesBefore = a.GetStatus().Peers[0];

            // The virtual machines this runs on vary a lot from run to run: each figure is the median of three.
            var bulkRuns = new List<double>();
            var smallRuns = new List<double>();
            for (var run = 0; run < Repeats; run++)
            {
                bulkRuns.Add(bulkBytes / 1e6 / await RunOneWayAsync(a, b, (int)(bulkBytes / BulkMessageBytes), BulkMessageBytes));
                smallRuns.Add(smallCount / await RunOneWayAsync(a, b, smallCount, SmallMessageBytes));
            }

            var bulkMbPerSecond = Median(bulkRuns);
            var smallPerSecond = Median(smallRuns);
            output.WriteLine($"bulk: {bulkBytes / (1024 * 1024)} MiB in {BulkMessageBytes / 1024} KiB messages, median {bulkMbPerSecond:F0} MB/s (runs: {string.Join(", ", bulkRuns.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))})");
            output.WriteLine($"small: {smallCount} messages of {SmallMessageBytes} bytes, median {smallPerSecond:F0} msg/s (runs: {string.Join(", ", smallRuns.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))})");

            var filesAfter = a.GetStatus().Peers[0];
            var payloadBytes = Repeats * (bulkBytes + ((long)smallCount * SmallMessageBytes));
            var overhead = (double)(filesAfter.FileBytesWritten - filesBefore.FileBytesWritten) / payloadBytes;
            output.WriteLine($"file overhead: {overhead:F4} file bytes per payload byte over {filesAfter.FilesWritten - filesBefore.FilesWritten} files");

            var latencies = await MeasureLatencyAsync(a, b, latencySamples);
            var p50 = Percentile(latencies, 0.50);
            var p99 = Percentile(latencies, 0.99);
            output.WriteLine($"latency: {latencySamples} single {SmallMessageBytes}-byte messages one way, p50 {p50:F2} ms, p99 {p99:F2} ms");

            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var peakRssMb = process.PeakWorkingSet64 / (1024.0 * 1024.0);
            output.WriteLine($"peak working set: {peakRssMb:F0} MB (both nodes, one process)");

            var result = new Dictionary<string, double>
            {
                ["bulk_mb_s"] = Math.Round(bulkMbPerSecond, 1),
                ["small_msg_s"] = Math.Round(smallPerSecond, 0),
                ["latency_p50_ms"] = Math.Round(p50, 3),
                ["latency_p99_ms"] = Math.Round(p99, 3),
                ["peak_rss_mb"] = Math.Round(peakRssMb, 1),
                ["file_overhead_ratio"] = Math.Round(overhead, 5),
            };
            output.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // The product's defaults: 16 MiB files, a 64 MiB window.
    private static Layer1Options Options(string state, string outbox, string inbox) => new()
    {
        StateDirectory = state,
        Outbox = outbox,
        Inbox = inbox,
    };

    // Sends count messages from a to b while b handles them; returns seconds from first send to last handled.
    private static async Task<double> RunOneWayAsync(Layer1Node a, Layer1Node b, int count, int size)
    {
        var payload = new byte[size];
        Random.Shared.NextBytes(payload);
        var stopwatch = Stopwatch.StartNew();
        var receiver = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var message = await b.ReceiveAsync(a.NodeId);
                if (message.Payload.Length != size)
                {
                    throw new InvalidOperationException($"message {i} has {message.Payload.Length} bytes, not {size}");
                }

                _ = b.MarkHandledAsync(message);
            }
        });

        // Several sends in flight, as concurrent producers would have; each completes once durable.
        var inFlight = new Queue<Task<SentMessage>>();
        for (var i = 0; i < count; i++)
        {
            inFlight.Enqueue(a.SendAsync(b.NodeId, payload));
            if (inFlight.Count >= 64)
            {
                await inFlight.Dequeue();
            }
        }

        await Task.WhenAll(inFlight);
        await receiver;
        return stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task<List<double>> MeasureLatencyAsync(Layer1Node a, Layer1Node b, int samples)
    {
        var payload = new byte[SmallMessageBytes];
        var latencies = new List<double>(samples);
        for (var i = 0; i < samples + 50; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await a.SendAsync(b.NodeId, payload);
            var message = await b.ReceiveAsync(a.NodeId);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            await b.MarkHandledAsync(message);
            if (i >= 50)
            {
                latencies.Add(elapsed);
            }
        }

        return latencies;
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        var index = Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1);
        return sorted[index];
    }
}
