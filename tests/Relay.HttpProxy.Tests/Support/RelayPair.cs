using System.IO.Abstractions;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Relay.Host.Configuration;
using Relay.Host.Hosting;
using Relay.Layer1;
using Relay.Layer1.Faults;
using Relay.Layer1.Identity;

namespace Relay.HttpProxy.Tests.Support;

/// <summary>
/// Two real nodes in this process: site-a with ingress (real Kestrel on a free loopback port),
/// site-b with egress, each with its own outbox and inbox, and a fault-injecting pipe in each
/// direction between them. Routes on site-a: <c>/svc/</c> to the callee (compressed),
/// <c>/raw/</c> to the callee (not compressed), <c>/blocked/</c> to a target site-b does not allow.
/// </summary>
internal sealed class RelayPair : IAsyncDisposable
{
    private readonly TemporaryFolder _folder;
    private readonly List<FaultInjectingFolderPipe> _pipes = [];
    private IHost? _a;
    private IHost? _b;
    private LogCapture? _logsA;
    private IFileSystem? _fileSystemA;
    private IFileSystem? _fileSystemB;

    // RELAY_TEST_LOGS=1 shows both nodes' logs on the test run's console.
    private static readonly Action<Microsoft.Extensions.Logging.ILoggingBuilder> Logging =
        Environment.GetEnvironmentVariable("RELAY_TEST_LOGS") == "1"
            ? logging => Microsoft.Extensions.Logging.ConsoleLoggerExtensions.AddSimpleConsole(logging, console => console.SingleLine = true)
            : _ => { };

    private RelayPair(TemporaryFolder folder, RelayOptions a, RelayOptions b)
    {
        _folder = folder;
        OptionsA = a;
        OptionsB = b;
    }

    public RelayOptions OptionsA { get; }

    public RelayOptions OptionsB { get; }

    public Uri Ingress { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public RelayNode NodeA => _a!.Services.GetRequiredService<RelayNode>();

    public RelayNode NodeB => _b!.Services.GetRequiredService<RelayNode>();

    /// <summary>site-a's services (its admin listener, when configured).</summary>
    public IServiceProvider ServicesA => _a!.Services;

    public IReadOnlyList<FaultInjectingFolderPipe> Pipes => _pipes;

    public string Folder => _folder.Path;

    /// <param name="oneWay">
    /// site-a only sends to site-b (<c>SendOnly</c>), site-b only receives from site-a (<c>ReceiveOnly</c>),
    /// and nothing carries site-b's outbox anywhere: whatever site-b writes for site-a stays there to be seen.
    /// </param>
    /// <param name="fileSystem">
    /// Where both nodes' files (but their SQLite databases), their keys and the pipes between them live:
    /// an in-memory one keeps everything but the databases off the disk. The machine's when null.
    /// </param>
    public static async Task<RelayPair> StartAsync(
        TemporaryFolder folder,
        string calleeBaseUrl,
        FaultProfile profile,
        Action<RelayOptions>? configureA = null,
        Action<RelayOptions>? configureB = null,
        LogCapture? logsA = null,
        IFileSystem? fileSystemA = null,
        IFileSystem? fileSystem = null,
        bool oneWay = false)
    {
        var keys = folder.Sub("keys");
        var shared = fileSystem;
        fileSystem ??= new FileSystem();
        fileSystem.Directory.CreateDirectory(keys);
        foreach (var id in new[] { "site-a", "site-b" })
        {
            using var pair = NodeKeyPair.Generate(id);
            pair.Save(fileSystem, keys);
        }

        var a = NodeOptions(folder, "site-a", "site-b");
        a.Ingress = new IngressOptions { Urls = "http://127.0.0.1:0", Deadline = TimeSpan.FromSeconds(60) };
        a.Ingress.Routes.Add(new IngressRouteOptions { PathPrefix = "/svc/", Peer = "site-b", Target = calleeBaseUrl });
        a.Ingress.Routes.Add(new IngressRouteOptions { PathPrefix = "/raw/", Peer = "site-b", Target = calleeBaseUrl, Compression = RouteCompression.None });
        a.Ingress.Routes.Add(new IngressRouteOptions { PathPrefix = "/blocked/", Peer = "site-b", Target = "http://127.0.0.1:9/" });
        var b = NodeOptions(folder, "site-b", "site-a");
        b.Egress = new EgressOptions();
        b.Egress.AllowedTargets.Add(calleeBaseUrl);
        if (oneWay)
        {
            a.Peers[0].Direction = nameof(PeerDirection.SendOnly);
            b.Peers[0].Direction = nameof(PeerDirection.ReceiveOnly);
        }

        configureA?.Invoke(a);
        configureB?.Invoke(b);

        var relay = new RelayPair(folder, a, b) { _fileSystemB = shared };
        foreach (var exchange in new[] { a.Exchange, b.Exchange })
        {
            fileSystem.Directory.CreateDirectory(exchange.Outbox);
            fileSystem.Directory.CreateDirectory(exchange.Inbox);
        }

        relay._pipes.Add(new FaultInjectingFolderPipe(fileSystem, a.Exchange.Outbox, b.Exchange.Inbox, profile with { Seed = profile.Seed + 1 }));
        if (!oneWay)
        {
            relay._pipes.Add(new FaultInjectingFolderPipe(fileSystem, b.Exchange.Outbox, a.Exchange.Inbox, profile with { Seed = profile.Seed + 2 }));
        }

        foreach (var pipe in relay._pipes)
        {
            await pipe.StartAsync(CancellationToken.None);
        }

        await relay.StartBAsync();
        relay._logsA = logsA;
        relay._fileSystemA = fileSystemA ?? shared;
        relay._a = RelayHost.Build(a, new ConfigurationBuilder().Build(), LoggingFor(logsA), fileSystem: relay._fileSystemA);
        await relay._a.StartAsync();
        var address = relay._a.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        relay.Ingress = new Uri(address);
        relay.Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1000, UseProxy = false, AutomaticDecompression = DecompressionMethods.None, AllowAutoRedirect = false })
        {
            BaseAddress = relay.Ingress,
            Timeout = TimeSpan.FromMinutes(3),
        };
        return relay;
    }

    /// <summary>Stops site-a cleanly and starts it again on the same state and port.</summary>
    public async Task RestartAAsync()
    {
        await _a!.StopAsync();
        _a.Dispose();
        OptionsA.Ingress!.Urls = Ingress.GetLeftPart(UriPartial.Authority);
        _a = RelayHost.Build(OptionsA, new ConfigurationBuilder().Build(), LoggingFor(_logsA), fileSystem: _fileSystemA);
        await _a.StartAsync();
    }

    /// <summary>Stops site-b cleanly, leaving it down until <see cref="StartBAgainAsync"/>.</summary>
    public async Task StopBAsync()
    {
        await _b!.StopAsync();
        _b.Dispose();
        _b = null;
    }

    /// <summary>Starts site-b again on the same state after <see cref="StopBAsync"/>.</summary>
    public Task StartBAgainAsync() => StartBAsync();

    /// <summary>Stops site-b cleanly and starts it again on the same state.</summary>
    public async Task RestartBAsync()
    {
        await _b!.StopAsync();
        _b.Dispose();
        await StartBAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        var hosts = new[] { _a, _b };
        (_a, _b) = (null, null);
        foreach (var host in hosts)
        {
            if (host is not null)
            {
                await host.StopAsync();
                host.Dispose();
            }
        }

        foreach (var pipe in _pipes)
        {
            await pipe.DisposeAsync();
        }

        // Disposing twice (a test that stops the nodes itself) is harmless.
        _pipes.Clear();
    }

    private static Action<Microsoft.Extensions.Logging.ILoggingBuilder> LoggingFor(LogCapture? capture) =>
        capture is null ? Logging : logging =>
        {
            Logging(logging);
            logging.AddProvider(capture);
        };

    private static RelayOptions NodeOptions(TemporaryFolder folder, string id, string peer)
    {
        var options = new RelayOptions
        {
            Node = new NodeOptions
            {
                Id = id,
                PrivateKeyFile = Path.Combine(folder.Path, "keys", id + ".private.json"),
                StateDirectory = folder.Sub("state-" + id),
            },
            Exchange = new Layer1Options
            {
                Outbox = folder.Sub(id + "-out"),
                Inbox = folder.Sub(id + "-in"),
                PollInterval = TimeSpan.FromMilliseconds(200),
            },
        };
        options.Exchange.StateDirectory = options.Node.StateDirectory;
        options.Peers.Add(new PeerOptions { Id = peer, PublicKeyFile = Path.Combine(folder.Path, "keys", peer + ".public.json") });
        return options;
    }

    private async Task StartBAsync()
    {
        _b = RelayHost.Build(OptionsB, new ConfigurationBuilder().Build(), Logging, fileSystem: _fileSystemB);
        await _b.StartAsync();
    }
}
