using System.IO.Abstractions;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Relay.Host.Status;
using Relay.Layer1;
using Relay.Layer1.Faults;
using Relay.Layer1.Identity;

namespace Relay.Benchmarks;

/// <summary>
/// An entry node and an exit node, each a <c>relay run</c> process with its own outbox and inbox,
/// and a fault pipe per direction in this process moving files between them as the scenario's link
/// does. Disposing stops everything and deletes the scenario's folder.
/// </summary>
internal sealed class LinkedNodes : IAsyncDisposable
{
    private const string EntryId = "site-a";
    private const string ExitId = "site-b";

    private static readonly string[] Outboxes = ["a-out", "b-out"];

    private readonly string _root;
    private NodeProcess? _entry;
    private NodeProcess? _exit;

    private LinkedNodes(string root, int port, FaultInjectingFolderPipe forward, FaultInjectingFolderPipe back)
    {
        _root = root;
        Port = port;
        Forward = forward;
        Back = back;
    }

    public int Port { get; }

    /// <summary>The route through both nodes to the callee.</summary>
    public string RelayBaseUrl => $"http://127.0.0.1:{Port}/svc/";

    /// <summary>Entry node to exit node.</summary>
    public FaultInjectingFolderPipe Forward { get; }

    /// <summary>Exit node to entry node.</summary>
    public FaultInjectingFolderPipe Back { get; }

    public NodeProcess Entry => _entry ?? throw new InvalidOperationException("not started");

    public NodeProcess Exit => _exit ?? throw new InvalidOperationException("not started");

    public static async Task<LinkedNodes> StartAsync(LinkScenario scenario, string calleeBaseUrl, CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), "relay-bench-links-" + scenario.Key + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var fileSystem = new FileSystem();
        var forward = new FaultInjectingFolderPipe(fileSystem, Path.Combine(root, "a-out"), Path.Combine(root, "b-in"), scenario.Forward);
        var back = new FaultInjectingFolderPipe(fileSystem, Path.Combine(root, "b-out"), Path.Combine(root, "a-in"), scenario.Back);
        var nodes = new LinkedNodes(root, FreePort(), forward, back);
        try
        {
            nodes.WriteSetup(scenario, calleeBaseUrl);
            await forward.StartAsync(cancellationToken);
            await back.StartAsync(cancellationToken);
            nodes._entry = NodeProcess.Start(Path.Combine(root, "a.json"));
            nodes._exit = NodeProcess.Start(Path.Combine(root, "b.json"));
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }
    }

    public async Task WaitForHealthAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{Port}/relay/health", timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new InvalidOperationException("the entry node did not become healthy within 60 s");
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>
    /// The node's status for its one peer, as written after <paramref name="notBefore"/> (nodes rewrite
    /// it every second); null if none that recent appears in time.
    /// </summary>
    public async Task<PeerStatusDocument?> PeerStatusAsync(bool entry, DateTimeOffset notBefore, CancellationToken cancellationToken)
    {
        var stateDirectory = Path.Combine(_root, "state", entry ? "a" : "b");
        var fileSystem = new FileSystem();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                if (StatusFile.Read(fileSystem, stateDirectory) is { } status && status.At >= notBefore && status.Peers.Count > 0)
                {
                    return status.Peers[0];
                }
            }
            catch (Exception exception) when (exception is IOException or JsonException)
            {
                // Replaced while being read; the next attempt sees the new one.
            }

            await Task.Delay(100, cancellationToken);
        }

        return null;
    }

    /// <summary>Files the nodes have written that the pipes have not yet taken (waiting for a sweep or for room on the link).</summary>
    public int FilesWaitingInOutboxes() =>
        Outboxes.Sum(outbox => Directory.Exists(Path.Combine(_root, outbox)) ? Directory.EnumerateFiles(Path.Combine(_root, outbox)).Count() : 0);

    public async ValueTask DisposeAsync()
    {
        _entry?.Dispose();
        _exit?.Dispose();
        await Forward.DisposeAsync();
        await Back.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void WriteSetup(LinkScenario scenario, string calleeBaseUrl)
    {
        var keys = Path.Combine(_root, "keys");
        foreach (var id in new[] { EntryId, ExitId })
        {
            using var pair = NodeKeyPair.Generate(id);
            pair.Save(new FileSystem(), keys);
        }

        // The transfers take minutes on slow links; the default 100 s deadline would cut them, and
        // it is the link that is measured here, not the deadline.
        var ingress = new JsonObject
        {
            ["Urls"] = $"http://127.0.0.1:{Port}",
            ["Deadline"] = "00:30:00",
            ["Routes"] = new JsonArray(new JsonObject { ["PathPrefix"] = "/svc/", ["Peer"] = ExitId, ["Target"] = calleeBaseUrl }),
        };
        var egress = new JsonObject { ["AllowedTargets"] = new JsonArray(calleeBaseUrl) };
        File.WriteAllText(Path.Combine(_root, "a.json"), Config(EntryId, ExitId, scenario.EntryDirection, "a", "Ingress", ingress));
        File.WriteAllText(Path.Combine(_root, "b.json"), Config(ExitId, EntryId, scenario.ExitDirection, "b", "Egress", egress));
    }

    private static string Config(string id, string peer, PeerDirection direction, string side, string roleSection, JsonObject roleSettings)
    {
        var relay = new JsonObject
        {
            ["Node"] = new JsonObject { ["Id"] = id, ["PrivateKeyFile"] = $"keys/{id}.private.json", ["StateDirectory"] = $"state/{side}" },
            ["Peers"] = new JsonArray(new JsonObject { ["Id"] = peer, ["PublicKeyFile"] = $"keys/{peer}.public.json", ["Direction"] = direction.ToString() }),
            ["Exchange"] = new JsonObject { ["Outbox"] = $"{side}-out", ["Inbox"] = $"{side}-in" },
            [roleSection] = roleSettings,
        };
        var config = new JsonObject
        {
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
            ["Relay"] = relay,
        };
        return config.ToJsonString();
    }
}
