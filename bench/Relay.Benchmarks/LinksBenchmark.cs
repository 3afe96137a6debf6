using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Relay.HttpProxy.Problems;
using Relay.Layer1;
using Relay.Layer1.Faults;

namespace Relay.Benchmarks;

/// <summary>
/// HTTP through two nodes (each its own <c>relay run</c> process, each with its own outbox and
/// inbox) over the fault pipe's link model: a scheduled mirror, a narrow slow link, the same with
/// loss and truncation, and a lossy data diode. Each scenario carries one large transfer and a burst
/// of concurrent small requests, and reports goodput, amplification (bytes offered to the link ÷
/// payload bytes), files and resends, and each node's peak working set; the last line is JSON.
/// </summary>
internal static class LinksBenchmark
{
    private const long LinkRate = 20_000_000;
    private const double Loss = 0.2;
    private const double Truncation = 0.05;
    private const double DiodeLoss = 0.05;
    private const int OneWaySmallBodyBytes = 64;

    // A file arrives whole when it is neither lost nor cut short.
    private static readonly double LossyCombined = 1 - ((1 - Loss) * (1 - Truncation));

    public static async Task<int> RunAsync(bool quick, string? only, TextWriter output)
    {
        var transferBytes = quick ? 32L << 20 : 256L << 20;
        var smallCount = quick ? 50 : 200;
        var expectedSha256 = Sha256Of(new NoiseStream(transferBytes));
        await using var callee = await BenchmarkCallee.StartAsync();
        using var handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 512, AutomaticDecompression = DecompressionMethods.None };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        output.WriteLine($"links ({Environment.ProcessorCount} cores): each scenario {transferBytes >> 20} MiB and {smallCount} concurrent small requests, nodes as processes, callee {callee.BaseUrl}");

        var results = new List<LinkFigures>();
        foreach (var scenario in Scenarios().Where(s => only is null || s.Key == only))
        {
            output.WriteLine();
            output.WriteLine($"({scenario.Key}) {scenario.Title}");
            var figures = new LinkFigures(scenario) { SmallRequests = smallCount, TransferBytes = transferBytes };
            var run = new ScenarioRun(scenario, figures, client, callee, quick, output);
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (scenario.OneWay)
                {
                    await run.OneWayAsync();
                }
                else
                {
                    await run.TwoWayAsync(expectedSha256);
                }
            }
            catch (Exception exception) when (exception is InvalidOperationException or HttpRequestException or IOException)
            {
                figures.Failures.Add("the scenario could not run: " + exception.Message);
            }

            figures.WallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Report(figures, output);
            results.Add(figures);
        }

        output.WriteLine();
        return Summarise(results, output);
    }

    private static IEnumerable<LinkScenario> Scenarios()
    {
        var capped = new FaultProfile { BandwidthBytesPerSecond = LinkRate, Latency = TimeSpan.FromSeconds(2), Seed = 21 };
        var lossy = capped with { Loss = Loss, Truncate = Truncation, Seed = 31 };
        var sweep = new FaultProfile { SweepEvery = TimeSpan.FromSeconds(10), Seed = 11 };
        var diode = new FaultProfile { Loss = DiodeLoss, Seed = 41 };
        yield return new LinkScenario("sweep", "scheduled mirror: a sweep every 10 s each way, no loss, no latency, no rate limit", sweep, sweep with { Seed = 12 }, 0, 0);
        yield return new LinkScenario("capped", "narrow slow link: 20 MB/s each way, 2 s latency, no loss", capped, capped with { Seed = 22 }, LinkRate, 0);
        yield return new LinkScenario("lossy", $"lossy slow link: 20 MB/s each way, 2 s latency, {Loss:P0} of files lost, {Truncation:P0} cut short (combined p = {LossyCombined:F2})", lossy, lossy with { Seed = 32 }, LinkRate, LossyCombined);
        yield return new LinkScenario("oneway", $"data diode: entry SendOnly, exit ReceiveOnly, nothing goes back, {DiodeLoss:P0} of files lost, default redundancy and parity", diode, new FaultProfile { Blocked = true, Seed = 42 }, 0, DiodeLoss)
        {
            EntryDirection = PeerDirection.SendOnly,
            ExitDirection = PeerDirection.ReceiveOnly,
        };
    }

    private static void Report(LinkFigures figures, TextWriter output)
    {
        var scenario = figures.Scenario;
        var capacity = scenario.CapacityBytesPerSecond > 0 ? $"; link capacity {scenario.CapacityBytesPerSecond / 1e6:F0} MB/s each way" : "";
        output.WriteLine($"  wall time {figures.WallSeconds:F1} s{capacity}");
        if (scenario.OneWay)
        {
            output.WriteLine($"  {figures.Accepted} of {figures.RequestsSent} requests answered 202 Relay-Outcome: sent; callee received {figures.ReceivedOnce} exactly once and whole, {figures.BytesReceivedOnce:N0} of {figures.BytesSent:N0} bytes; delivered-once ratio {Format(figures.DeliveredOnceRatio, "F4")}");
        }
        else
        {
            output.WriteLine($"  small requests: {figures.SmallSucceeded} of {figures.SmallRequests} answered 200, all within {Format(figures.SmallSeconds, "F1")} s");
            output.WriteLine($"  upload {figures.TransferBytes >> 20} MiB (checksum verified at the callee): {Format(figures.UploadSeconds, "F1")} s, goodput {Format(figures.UploadMegabytesPerSecond, "F1")} MB/s{Ratio(figures.UploadMegabytesPerSecond, scenario)} for the request; {Format(figures.UploadLinkMegabytesPerSecond, "F1")} MB/s{Ratio(figures.UploadLinkMegabytesPerSecond, scenario)} from its first byte at the callee to its last");
            output.WriteLine($"  download {figures.TransferBytes >> 20} MiB (checksum verified by the caller): {Format(figures.DownloadSeconds, "F1")} s, goodput {Format(figures.DownloadMegabytesPerSecond, "F1")} MB/s{Ratio(figures.DownloadMegabytesPerSecond, scenario)} for the request; {Format(figures.DownloadLinkMegabytesPerSecond, "F1")} MB/s{Ratio(figures.DownloadLinkMegabytesPerSecond, scenario)} from its first byte at the caller to its last");
        }

        if (figures.Before is { } before && figures.After is { } after)
        {
            var measured = scenario.OneWay ? "from the start" : "after the warm-up round trip";
            output.WriteLine($"  link, {measured}{(figures.Settled ? "" : " (NOT settled: messages still unacknowledged or files not yet taken at the end)")}: forward {after.ForwardFiles - before.ForwardFiles} files, {after.ForwardBytes - before.ForwardBytes:N0} bytes; back {after.BackFiles - before.BackFiles} files, {after.BackBytes - before.BackBytes:N0} bytes; lost {after.Lost - before.Lost}, truncated {after.Truncated - before.Truncated}");
            output.WriteLine($"  amplification {Format(figures.Amplification, "F4")} ({after.OfferedBytes - before.OfferedBytes:N0} bytes offered ÷ {figures.PayloadBytes:N0} payload bytes)");
            output.WriteLine($"  entry node: {Channel(before.Entry, after.Entry)}; exit node: {Channel(before.Exit, after.Exit)}");
        }

        output.WriteLine($"  peak working set: entry node {figures.EntryPeakRssMb:F0} MB, exit node {figures.ExitPeakRssMb:F0} MB");
        foreach (var failure in figures.Failures)
        {
            output.WriteLine($"  FAILED: {failure}");
        }
    }

    private static string Channel(Relay.Host.Status.PeerStatusDocument? before, Relay.Host.Status.PeerStatusDocument? after) =>
        before is null || after is null
            ? "no status"
            : $"{after.FilesWritten - before.FilesWritten} files written ({after.FileBytesWritten - before.FileBytesWritten:N0} bytes), {after.Resent - before.Resent} messages resent";

    // On a lossy link the rate is also given against what the loss leaves, as the lossy target is stated.
    private static string Ratio(double? megabytesPerSecond, LinkScenario scenario) =>
        megabytesPerSecond is not { } rate || scenario.CapacityBytesPerSecond <= 0 ? ""
        : scenario.Forward.Loss > 0
            ? $" = {rate * 1e6 / scenario.CapacityBytesPerSecond:F3} of capacity, {rate * 1e6 / (scenario.CapacityBytesPerSecond * (1 - scenario.Forward.Loss)):F3} of capacity × (1 − loss)"
            : $" = {rate * 1e6 / scenario.CapacityBytesPerSecond:F3} of capacity";

    private static int Summarise(List<LinkFigures> results, TextWriter output)
    {
        var sweep = results.SingleOrDefault(r => r.Scenario.Key == "sweep");
        var capped = results.SingleOrDefault(r => r.Scenario.Key == "capped");
        var lossy = results.SingleOrDefault(r => r.Scenario.Key == "lossy");
        var oneWay = results.SingleOrDefault(r => r.Scenario.Key == "oneway");
        var lossyLimit = (1 / (1 - LossyCombined)) + 0.1;
        var json = new Dictionary<string, double?>
        {
            ["sweep_amplification"] = Round(sweep?.Amplification, 4),
            ["capped_goodput_ratio"] = Round(capped?.UploadLinkMegabytesPerSecond * 1e6 / LinkRate, 4),
            ["lossy_goodput_ratio"] = Round(lossy?.UploadLinkMegabytesPerSecond * 1e6 / (LinkRate * (1 - Loss)), 4),
            ["lossy_amplification"] = Round(lossy?.Amplification, 4),
            ["oneway_delivered_ratio"] = Round(oneWay?.DeliveredOnceRatio, 4),
            ["oneway_accepted_ratio"] = oneWay is { RequestsSent: > 0 } ? Math.Round((double)oneWay.Accepted / oneWay.RequestsSent, 4) : null,
            ["capped_download_goodput_ratio"] = Round(capped?.DownloadLinkMegabytesPerSecond * 1e6 / LinkRate, 4),
            ["lossy_download_goodput_ratio"] = Round(lossy?.DownloadLinkMegabytesPerSecond * 1e6 / (LinkRate * (1 - Loss)), 4),
            ["capped_request_goodput_ratio"] = Round(capped?.UploadMegabytesPerSecond * 1e6 / LinkRate, 4),
            ["lossy_request_goodput_ratio"] = Round(lossy?.UploadMegabytesPerSecond * 1e6 / (LinkRate * (1 - Loss)), 4),
            ["capped_amplification"] = Round(capped?.Amplification, 4),
            ["oneway_amplification"] = Round(oneWay?.Amplification, 4),
        };
        foreach (var figures in results)
        {
            var key = figures.Scenario.Key;
            json[key + "_wall_s"] = Math.Round(figures.WallSeconds, 1);
            if (!figures.Scenario.OneWay)
            {
                json[key + "_upload_mb_s"] = Round(figures.UploadMegabytesPerSecond, 2);
                json[key + "_download_mb_s"] = Round(figures.DownloadMegabytesPerSecond, 2);
                json[key + "_small_s"] = Round(figures.SmallSeconds, 2);
            }

            if (figures.Before is { } before && figures.After is { } after)
            {
                json[key + "_files"] = after.ForwardFiles - before.ForwardFiles + after.BackFiles - before.BackFiles;
                json[key + "_resent"] = Resent(before.Entry, after.Entry) + Resent(before.Exit, after.Exit);
            }

            json[key + "_entry_peak_rss_mb"] = Math.Round(figures.EntryPeakRssMb, 1);
            json[key + "_exit_peak_rss_mb"] = Math.Round(figures.ExitPeakRssMb, 1);
        }

        var entryRss = results.Max(r => r.EntryPeakRssMb);
        var exitRss = results.Max(r => r.ExitPeakRssMb);
        json["entry_peak_rss_mb"] = Math.Round(entryRss, 1);
        json["exit_peak_rss_mb"] = Math.Round(exitRss, 1);
        json["peak_rss_mb"] = Math.Round(Math.Max(entryRss, exitRss), 1);

        output.WriteLine("targets:");
        Target(output, "sweep_amplification", json["sweep_amplification"], "≤ 1.05 (after the warm-up round trip)", v => v <= 1.05);
        Target(output, "capped_goodput_ratio", json["capped_goodput_ratio"], "≥ 0.8 (upload's rate from its first byte at the callee to its last ÷ 20 MB/s)", v => v >= 0.8);
        Target(output, "lossy_goodput_ratio", json["lossy_goodput_ratio"], $"≥ 0.7 (upload's rate at the callee ÷ (20 MB/s × {1 - Loss:F2}))", v => v >= 0.7);
        Target(output, "lossy_amplification", json["lossy_amplification"], $"≤ {lossyLimit:F3} (1/(1−p)+0.1, p = 1 − (1 − {Loss})(1 − {Truncation}) = {LossyCombined:F2}: a file is lost or cut short)", v => v <= lossyLimit);
        Target(output, "oneway_delivered_ratio", json["oneway_delivered_ratio"], "= 1.0 (lower of requests and bytes received exactly once ÷ sent)", v => v >= 1.0);
        Target(output, "entry_peak_rss_mb", json["entry_peak_rss_mb"], "< 300 MB (largest over the scenarios)", v => v < 300);
        Target(output, "exit_peak_rss_mb", json["exit_peak_rss_mb"], "< 300 MB (largest over the scenarios)", v => v < 300);
        foreach (var failed in results.Where(r => r.Failures.Count > 0))
        {
            output.WriteLine($"scenario {failed.Scenario.Key} FAILED: {string.Join("; ", failed.Failures)}");
        }

        output.WriteLine(JsonSerializer.Serialize(json));
        return 0;
    }

    private static long? Resent(Relay.Host.Status.PeerStatusDocument? before, Relay.Host.Status.PeerStatusDocument? after) =>
        before is null || after is null ? null : after.Resent - before.Resent;

    private static void Target(TextWriter output, string name, double? value, string target, Func<double, bool> met)
    {
        var verdict = value is { } v ? (met(v) ? "pass" : "FAIL") : "FAIL (not measured)";
        output.WriteLine($"  {name} {Format(value, "0.####")} target {target}: {verdict}");
    }

    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;

    private static string Format(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Sha256Of(Stream stream) => Convert.ToHexStringLower(SHA256.HashData(stream));

    /// <summary>One scenario's phases against its own pair of nodes; every phase is bounded by its own timeout.</summary>
    private sealed class ScenarioRun(LinkScenario scenario, LinkFigures figures, HttpClient client, BenchmarkCallee callee, bool quick, TextWriter output)
    {
        private TimeSpan RoundTrip => scenario.RoundTripBound;

        // The first round trip also pays the resends made before the link's delay was learned.
        private TimeSpan WarmUpTimeout => (4 * RoundTrip) + TimeSpan.FromSeconds(60);

        private TimeSpan SmallTimeout => (3 * RoundTrip) + TimeSpan.FromSeconds(quick ? 60 : 120);

        private TimeSpan TransferTimeout => TimeSpan.FromMinutes(quick ? 4 : 10);

        private TimeSpan SettleTimeout => (3 * RoundTrip) + TimeSpan.FromSeconds(30);

        public async Task TwoWayAsync(string expectedSha256)
        {
            await using var nodes = await LinkedNodes.StartAsync(scenario, callee.BaseUrl, CancellationToken.None);
            try
            {
                await nodes.WaitForHealthAsync(client, CancellationToken.None);
                var relay = nodes.RelayBaseUrl;
                if (!await PhaseAsync("warm-up request", WarmUpTimeout, async token =>
                    {
                        using var response = await client.GetAsync(relay + "small", token);
                        response.EnsureSuccessStatusCode();
                        await response.Content.ReadAsByteArrayAsync(token);
                    }))
                {
                    return;
                }

                figures.Before = await SnapshotAsync(nodes, DateTimeOffset.UtcNow);
                var phases = await PhaseAsync($"{figures.SmallRequests} concurrent small requests", SmallTimeout, async token =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        var answers = await Task.WhenAll(Enumerable.Range(0, figures.SmallRequests).Select(_ => SmallAsync(relay + "small", token)));
                        figures.SmallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                        figures.SmallSucceeded = answers.Count(a => a > 0);
                        figures.PayloadBytes += answers.Sum();
                        if (figures.SmallSucceeded < figures.SmallRequests)
                        {
                            throw new InvalidOperationException($"{figures.SmallRequests - figures.SmallSucceeded} of {figures.SmallRequests} small requests were not answered 200");
                        }
                    })
                    && await PhaseAsync($"upload of {figures.TransferBytes >> 20} MiB", TransferTimeout, async token =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        using var content = new StreamContent(new NoiseStream(figures.TransferBytes), 256 * 1024);
                        content.Headers.ContentLength = figures.TransferBytes;
                        using var response = await client.PostAsync(relay + "upload-checked", content, token);
                        response.EnsureSuccessStatusCode();
                        var answer = await response.Content.ReadAsStringAsync(token);
                        var expected = figures.TransferBytes.ToString(CultureInfo.InvariantCulture) + " " + expectedSha256;
                        var received = answer.Split(' ');
                        if (received.Length != 3 || received[0] + " " + received[1] != expected)
                        {
                            throw new InvalidOperationException($"the callee received '{answer}', not '{expected}'");
                        }

                        figures.UploadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                        figures.UploadLinkSeconds = double.Parse(received[2], CultureInfo.InvariantCulture);
                        figures.PayloadBytes += figures.TransferBytes + answer.Length;
                    })
                    && await PhaseAsync($"download of {figures.TransferBytes >> 20} MiB", TransferTimeout, async token =>
                    {
                        var started = Stopwatch.GetTimestamp();
                        using var response = await client.GetAsync(relay + $"download/{figures.TransferBytes}", HttpCompletionOption.ResponseHeadersRead, token);
                        response.EnsureSuccessStatusCode();
                        await using var body = await response.Content.ReadAsStreamAsync(token);
                        using var counted = new CountingStream(body);
                        var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(counted, token));
                        if (counted.BytesRead != figures.TransferBytes || sha256 != expectedSha256)
                        {
                            throw new InvalidOperationException($"the caller received {counted.BytesRead} bytes with SHA-256 {sha256}, not {figures.TransferBytes} with {expectedSha256}");
                        }

                        figures.DownloadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                        figures.DownloadLinkSeconds = counted.Seconds;
                        figures.PayloadBytes += figures.TransferBytes;
                    });
                await SettleAsync(nodes, phases);
            }
            finally
            {
                figures.EntryPeakRssMb = nodes.Entry.PeakWorkingSetMb();
                figures.ExitPeakRssMb = nodes.Exit.PeakWorkingSetMb();
            }
        }

        public async Task OneWayAsync()
        {
            callee.Receipts.Clear();
            await using var nodes = await LinkedNodes.StartAsync(scenario, callee.BaseUrl, CancellationToken.None);
            try
            {
                await nodes.WaitForHealthAsync(client, CancellationToken.None);
                var relay = nodes.RelayBaseUrl;

                // No round trip to learn on a diode: measured from the start.
                figures.Before = await SnapshotAsync(nodes, DateTimeOffset.UtcNow);
                figures.RequestsSent = figures.SmallRequests + 1;
                figures.BytesSent = ((long)figures.SmallRequests * OneWaySmallBodyBytes) + figures.TransferBytes;
                var expected = new Dictionary<string, (long Length, string Sha256)>(StringComparer.Ordinal)
                {
                    ["bulk"] = (figures.TransferBytes, Sha256Of(new NoiseStream(figures.TransferBytes))),
                };
                for (var i = 0; i < figures.SmallRequests; i++)
                {
                    expected["small-" + i.ToString(CultureInfo.InvariantCulture)] = (OneWaySmallBodyBytes, Convert.ToHexStringLower(SHA256.HashData(SmallBody(i))));
                }

                // Today a request counts as accepted only when the entry answers 202 Relay-Outcome: sent once it is durable.
                var unexpected = new System.Collections.Concurrent.ConcurrentBag<string>();
                await PhaseAsync($"{figures.SmallRequests} concurrent one-way small requests", TimeSpan.FromSeconds(quick ? 60 : 120), async token =>
                {
                    var started = Stopwatch.GetTimestamp();
                    await Task.WhenAll(Enumerable.Range(0, figures.SmallRequests).Select(async i =>
                    {
                        using var content = new ByteArrayContent(SmallBody(i));
                        using var response = await client.PostAsync(relay + "record/small-" + i.ToString(CultureInfo.InvariantCulture), content, token);
                        CountAccepted(response, unexpected);
                    }));
                    figures.SmallSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    ThrowIfUnexpected(unexpected);
                });
                unexpected.Clear();
                await PhaseAsync($"one-way upload of {figures.TransferBytes >> 20} MiB", TimeSpan.FromSeconds(quick ? 90 : 300), async token =>
                {
                    var started = Stopwatch.GetTimestamp();
                    using var content = new StreamContent(new NoiseStream(figures.TransferBytes), 256 * 1024);
                    content.Headers.ContentLength = figures.TransferBytes;
                    using var response = await client.PostAsync(relay + "record/bulk", content, token);
                    CountAccepted(response, unexpected);
                    figures.UploadSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    ThrowIfUnexpected(unexpected);
                });

                // The callee is the only witness on a diode: wait until every id has arrived, then a
                // little longer, so a second copy arriving late is counted too.
                await PhaseAsync("delivery to the callee", TimeSpan.FromSeconds(quick ? 60 : 180), async token =>
                {
                    while (callee.Receipts.DistinctCount < expected.Count)
                    {
                        await Task.Delay(100, token);
                    }

                    await Task.Delay(TimeSpan.FromSeconds(3), token);
                });
                foreach (var (id, (length, sha256)) in expected)
                {
                    if (callee.Receipts.Find(id) is { Count: 1 } receipt && receipt.Length == length && receipt.Sha256 == sha256)
                    {
                        figures.ReceivedOnce++;
                        figures.BytesReceivedOnce += length;
                    }
                }

                figures.PayloadBytes = figures.BytesReceivedOnce;
                figures.After = await SnapshotAsync(nodes, DateTimeOffset.UtcNow);
                figures.Settled = true;
                var missing = expected.Keys.Count(id => callee.Receipts.Find(id) is null);
                var repeated = expected.Keys.Count(id => callee.Receipts.Find(id) is { Count: > 1 });
                if (missing > 0 || repeated > 0)
                {
                    figures.Failures.Add($"the callee is missing {missing} and received {repeated} more than once of {expected.Count} requests");
                }
            }
            finally
            {
                figures.EntryPeakRssMb = nodes.Entry.PeakWorkingSetMb();
                figures.ExitPeakRssMb = nodes.Exit.PeakWorkingSetMb();
            }

            void CountAccepted(HttpResponseMessage response, System.Collections.Concurrent.ConcurrentBag<string> unexpectedAnswers)
            {
                var outcome = response.Headers.TryGetValues(RelayProblem.OutcomeHeader, out var values) ? string.Join(",", values) : "(none)";
                if (response.StatusCode == HttpStatusCode.Accepted && outcome == "sent")
                {
                    lock (figures)
                    {
                        figures.Accepted++;
                    }
                }
                else
                {
                    unexpectedAnswers.Add($"{(int)response.StatusCode} with {RelayProblem.OutcomeHeader} {outcome}");
                }
            }
        }

        private static byte[] SmallBody(int index) => BenchmarkCallee.Noise.AsSpan(index * OneWaySmallBodyBytes, OneWaySmallBodyBytes).ToArray();

        private static void ThrowIfUnexpected(System.Collections.Concurrent.ConcurrentBag<string> unexpected)
        {
            if (!unexpected.IsEmpty)
            {
                throw new InvalidOperationException($"{unexpected.Count} answered other than 202 Relay-Outcome: sent, such as {unexpected.First()}");
            }
        }

        // The response body's length, or 0 when the answer is not 200.
        private async Task<long> SmallAsync(string url, CancellationToken cancellationToken)
        {
            using var response = await client.GetAsync(url, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return response.StatusCode == HttpStatusCode.OK ? body.Length : 0;
        }

        // Runs one phase within its timeout; a failure or timeout is recorded and stops the scenario's later phases.
        private async Task<bool> PhaseAsync(string name, TimeSpan timeout, Func<CancellationToken, Task> phase)
        {
            using var timer = new CancellationTokenSource(timeout);
            var started = Stopwatch.GetTimestamp();
            try
            {
                await phase(timer.Token);
                output.WriteLine($"  {name}: done in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
                return true;
            }
            catch (OperationCanceledException) when (timer.IsCancellationRequested)
            {
                figures.Failures.Add($"{name}: timed out after {timeout.TotalSeconds:F0} s");
            }
            catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or IOException)
            {
                figures.Failures.Add($"{name}: {exception.Message}");
            }

            output.WriteLine($"  {name}: FAILED after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
            return false;
        }

        // Waits until both nodes have every message acknowledged and the pipes have taken every file
        // the nodes wrote, so the counters include every ack and resend the phases caused.
        private async Task SettleAsync(LinkedNodes nodes, bool phasesCompleted)
        {
            var finished = DateTimeOffset.UtcNow;
            var giveUpAt = Stopwatch.GetTimestamp() + (long)(SettleTimeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                var waiting = nodes.FilesWaitingInOutboxes();
                var snapshot = await SnapshotAsync(nodes, finished);
                if (snapshot.Entry is { InFlight: 0 } && snapshot.Exit is { InFlight: 0 } && waiting == 0 && nodes.FilesWaitingInOutboxes() == 0)
                {
                    figures.After = snapshot;
                    figures.Settled = true;
                    return;
                }

                if (Stopwatch.GetTimestamp() > giveUpAt)
                {
                    figures.After = snapshot;
                    if (phasesCompleted)
                    {
                        figures.Failures.Add($"the link did not settle: messages still unacknowledged or files not yet taken {SettleTimeout.TotalSeconds:F0} s after the last phase");
                    }

                    return;
                }

                finished = DateTimeOffset.UtcNow;
                await Task.Delay(500);
            }
        }

        private static async Task<LinkSnapshot> SnapshotAsync(LinkedNodes nodes, DateTimeOffset notBefore) => LinkSnapshot.Take(
            nodes.Forward.Counters,
            nodes.Back.Counters,
            await nodes.PeerStatusAsync(entry: true, notBefore, CancellationToken.None),
            await nodes.PeerStatusAsync(entry: false, notBefore, CancellationToken.None));
    }
}
