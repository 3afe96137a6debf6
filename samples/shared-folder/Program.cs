using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Relay.Samples.SharedFolder;

// Two relay nodes over one shared folder, a demo callee behind site-b, and a few requests through
// site-a's ingress. Everything it starts, it stops.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var work = Path.Combine(Path.GetTempPath(), "relay-shared-folder-sample");
if (Directory.Exists(work))
{
    Directory.Delete(work, recursive: true);
}

Directory.CreateDirectory(work);
Console.WriteLine($"working folder: {work}");

Step("generating keys for site-a and site-b (relay keygen)");
foreach (var id in new[] { "site-a", "site-b" })
{
    var (exit, output) = await NodeProcess.RunAsync("keygen", "--node", id, "--out", Path.Combine(work, "keys"));
    Console.WriteLine(Indent(output));
    if (exit != 0)
    {
        return 1;
    }
}

await using var callee = await DemoCallee.StartAsync();
Step($"demo callee listening on {callee.BaseUrl}");

var port = FreePort();
var ingress = $"http://127.0.0.1:{port}";
File.WriteAllText(Path.Combine(work, "site-a.json"), $$"""
    { "Relay": {
        "Node": { "Id": "site-a", "PrivateKeyFile": "keys/site-a.private.json", "StateDirectory": "state/a" },
        "Peers": [ { "Id": "site-b", "PublicKeyFile": "keys/site-b.public.json" } ],
        "Exchange": { "Outbox": "shared", "Inbox": "shared" },
        "Ingress": { "Urls": "{{ingress}}",
                     "Routes": [ { "PathPrefix": "/svc/", "Peer": "site-b", "Target": "{{callee.BaseUrl}}" },
                                 { "PathPrefix": "/elsewhere/", "Peer": "site-b", "Target": "http://127.0.0.1:9/" } ] } } }
    """);
File.WriteAllText(Path.Combine(work, "site-b.json"), $$"""
    { "Relay": {
        "Node": { "Id": "site-b", "PrivateKeyFile": "keys/site-b.private.json", "StateDirectory": "state/b" },
        "Peers": [ { "Id": "site-a", "PublicKeyFile": "keys/site-a.public.json" } ],
        "Exchange": { "Outbox": "shared", "Inbox": "shared" },
        "Egress": { "AllowedTargets": [ "{{callee.BaseUrl}}" ] } } }
    """);
Step("config files: site-a.json (ingress on " + ingress + ", routes /svc/ and /elsewhere/), site-b.json (egress to the callee only); both use the folder 'shared'");

using var siteA = NodeProcess.Start(Path.Combine(work, "site-a.log"), "run", "--config", Path.Combine(work, "site-a.json"));
using var siteB = NodeProcess.Start(Path.Combine(work, "site-b.log"), "run", "--config", Path.Combine(work, "site-b.json"));
Step("started both nodes (relay run); logs in site-a.log and site-b.log");

var failures = 0;
try
{
    using var client = new HttpClient { BaseAddress = new Uri(ingress), Timeout = TimeSpan.FromMinutes(2) };
    await WaitForHealthAsync(client, siteA, cancel.Token);
    Step("site-a answers /relay/health; sending requests through it");

    await CheckAsync("GET /svc/hello", async () =>
    {
        using var response = await client.GetAsync("/svc/hello", cancel.Token);
        var body = await response.Content.ReadAsStringAsync(cancel.Token);
        return (response.StatusCode == HttpStatusCode.OK && body.StartsWith("hello", StringComparison.Ordinal), $"{(int)response.StatusCode} \"{body.Trim()}\"");
    });

    await CheckAsync("POST /svc/echo (JSON)", async () =>
    {
        const string json = """{"order":42,"items":["relay","folder"]}""";
        using var response = await client.PostAsync("/svc/echo", new StringContent(json, Encoding.UTF8, "application/json"), cancel.Token);
        var body = await response.Content.ReadAsStringAsync(cancel.Token);
        return (response.StatusCode == HttpStatusCode.OK && body == json, $"{(int)response.StatusCode}, echoed {body.Length} bytes of {response.Content.Headers.ContentType?.MediaType}");
    });

    const long large = 64L * 1024 * 1024;
    await CheckAsync("GET /svc/bytes/67108864 (64 MiB download)", async () =>
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync($"/svc/bytes/{large}", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        await using var body = await response.Content.ReadAsStreamAsync(cancel.Token);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancel.Token)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        var same = total == large && Convert.ToHexString(hash.GetHashAndReset()) == Pattern.Sha256(large);
        return (same, $"{(int)response.StatusCode}, {total} bytes, SHA-256 {(same ? "matches" : "DIFFERS")}, {total / watch.Elapsed.TotalSeconds / 1e6:F0} MB/s");
    });

    await CheckAsync("POST /svc/upload (64 MiB upload)", async () =>
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.PostAsync("/svc/upload", new PatternContent(large), cancel.Token);
        var answer = (await response.Content.ReadAsStringAsync(cancel.Token)).Split(' ');
        var same = answer.Length == 2 && answer[0] == large.ToString(CultureInfo.InvariantCulture) && answer[1] == Pattern.Sha256(large);
        return (same, $"{(int)response.StatusCode}, the callee got {answer[0]} bytes, SHA-256 {(same ? "matches" : "DIFFERS")}, {large / watch.Elapsed.TotalSeconds / 1e6:F0} MB/s");
    });

    await CheckAsync("GET /svc/status/503 (the callee's own error)", async () =>
    {
        using var response = await client.GetAsync("/svc/status/503", cancel.Token);
        var body = await response.Content.ReadAsStringAsync(cancel.Token);
        return (response.StatusCode == HttpStatusCode.ServiceUnavailable && body.Contains("503", StringComparison.Ordinal), $"{(int)response.StatusCode} \"{body.Trim()}\"");
    });

    await CheckAsync("GET /nowhere (no route)", () => ExpectProblemAsync(client, "/nowhere", 404, "urn:relay:problem:unknown-route", cancel.Token));
    await CheckAsync("GET /elsewhere/x (target not on site-b's allowlist)", () => ExpectProblemAsync(client, "/elsewhere/x", 403, "urn:relay:problem:target-not-allowed", cancel.Token));

    // The status file is rewritten every second; give it one more tick so it shows the traffic.
    await Task.Delay(1100, cancel.Token);
    foreach (var node in new[] { "site-a", "site-b" })
    {
        Step($"relay status --config {node}.json");
        var (_, status) = await NodeProcess.RunAsync("status", "--config", Path.Combine(work, node + ".json"));
        Console.WriteLine(Indent(status));
    }
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.WriteLine("interrupted");
    failures++;
}
catch (Exception exception) when (exception is HttpRequestException or TimeoutException or InvalidOperationException)
{
    Console.WriteLine($"FAILED: {exception.Message}");
    failures++;
}
finally
{
    Step("stopping both nodes and the callee");
    siteA.Stop();
    siteB.Stop();
}

Console.WriteLine(failures == 0 ? "all checks passed" : $"{failures} check(s) failed; see the logs in {work}");
return failures == 0 ? 0 : 1;

async Task CheckAsync(string name, Func<Task<(bool Passed, string Detail)>> check)
{
    var watch = Stopwatch.StartNew();
    var (passed, detail) = await check();
    Console.WriteLine($"  {(passed ? "ok  " : "FAIL")} {name}: {detail} ({watch.Elapsed.TotalMilliseconds:F0} ms)");
    if (!passed)
    {
        failures++;
    }
}

static async Task<(bool, string)> ExpectProblemAsync(HttpClient client, string path, int status, string type, CancellationToken cancellationToken)
{
    using var response = await client.GetAsync(path, cancellationToken);
    var body = await response.Content.ReadAsStringAsync(cancellationToken);
    using var problem = JsonDocument.Parse(body);
    var actualType = problem.RootElement.GetProperty("type").GetString();
    var passed = (int)response.StatusCode == status && actualType == type && response.Content.Headers.ContentType?.MediaType == "application/problem+json";
    return (passed, $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}: {actualType}, \"{problem.RootElement.GetProperty("title").GetString()}\"");
}

static async Task WaitForHealthAsync(HttpClient client, NodeProcess node, CancellationToken cancellationToken)
{
    for (var i = 0; i < 300; i++)
    {
        if (node.HasExited)
        {
            throw new InvalidOperationException("site-a exited during start-up; see site-a.log");
        }

        try
        {
            using var response = await client.GetAsync("/relay/health", cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }

        await Task.Delay(100, cancellationToken);
    }

    throw new TimeoutException("site-a did not answer /relay/health within 30 s; see site-a.log");
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static void Step(string text) => Console.WriteLine("== " + text);

static string Indent(string text) => string.Join(Environment.NewLine, text.Split('\n').Select(line => "   " + line.TrimEnd('\r')));
