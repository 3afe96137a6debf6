using Microsoft.Extensions.Options;
using Relay.Layer1;
using Relay.Layer1.Identity;
using Relay.Layer1.OneWay;

namespace Relay.Host.Configuration;

/// <summary>Checks a node's configuration at start-up; every failure names its key, as in the config file.</summary>
public sealed class RelayOptionsValidator : IValidateOptions<RelayOptions>
{
    private const string Root = RelayOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Require(bool condition, string key, string rule)
        {
            if (!condition)
            {
                failures.Add($"{Root}{key} {rule}.");
            }
        }

        Require(!string.IsNullOrWhiteSpace(options.Node.Id), "Node:Id", "is required");
        Require(string.IsNullOrWhiteSpace(options.Node.Id) || NodeId.IsValid(options.Node.Id), "Node:Id", $"'{options.Node.Id}' is not a valid node id: {NodeId.Rule}");
        Require(!string.IsNullOrWhiteSpace(options.Node.PrivateKeyFile), "Node:PrivateKeyFile", "is required");
        Require(string.IsNullOrWhiteSpace(options.Node.PrivateKeyFile) || File.Exists(options.Node.PrivateKeyFile) || Directory.Exists(options.Node.PrivateKeyFile), "Node:PrivateKeyFile", $"'{options.Node.PrivateKeyFile}' does not exist (create it with relay keygen)");
        Require(!Directory.Exists(options.Node.PrivateKeyFile), "Node:PrivateKeyFile", $"'{options.Node.PrivateKeyFile}' is a folder, not a key file");
        Require(!string.IsNullOrWhiteSpace(options.Node.StateDirectory), "Node:StateDirectory", "is required");

        Require(options.Peers.Count > 0, "Peers", "must list at least one peer");
        var peerIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Peers.Count; i++)
        {
            var peer = options.Peers[i];
            Require(!string.IsNullOrWhiteSpace(peer.Id), $"Peers:{i}:Id", "is required");
            Require(string.IsNullOrWhiteSpace(peer.Id) || NodeId.IsValid(peer.Id), $"Peers:{i}:Id", $"'{peer.Id}' is not a valid node id: {NodeId.Rule}");
            Require(peer.Id != options.Node.Id, $"Peers:{i}:Id", "is this node's own id");
            Require(peerIds.Add(peer.Id), $"Peers:{i}:Id", $"'{peer.Id}' is listed twice");
            Require(!string.IsNullOrWhiteSpace(peer.PublicKeyFile), $"Peers:{i}:PublicKeyFile", "is required (the peer's ID.public.json, written by relay keygen on the peer)");
            Require(string.IsNullOrWhiteSpace(peer.PublicKeyFile) || File.Exists(peer.PublicKeyFile) || Directory.Exists(peer.PublicKeyFile), $"Peers:{i}:PublicKeyFile", $"'{peer.PublicKeyFile}' does not exist");
            Require(!Directory.Exists(peer.PublicKeyFile), $"Peers:{i}:PublicKeyFile", $"'{peer.PublicKeyFile}' is a folder, not a key file");
            Require(peer.ParseEncryption() is not null, $"Peers:{i}:Encryption", $"'{peer.Encryption}' is not {PeerOptions.EncryptMode} or {PeerOptions.NoneMode} (None: bodies are signed but readable; the peer must be configured the same)");
            Require(peer.ParseDirection() is not null, $"Peers:{i}:Direction", $"'{peer.Direction}' is not Both, SendOnly or ReceiveOnly");
            ValidateOneWay(peer, i, Require);
        }

        var exchange = new Layer1OptionsValidator().Validate(null, options.Exchange);
        if (exchange.Failed)
        {
            failures.AddRange(exchange.Failures.Where(f => !f.StartsWith(nameof(Layer1Options.StateDirectory), StringComparison.Ordinal)).Select(f => Root + "Exchange:" + f));
        }

        Require(options.Ingress is not null || options.Egress is not null, "Ingress", "or Relay:Egress must be configured (a node with neither has nothing to do)");
        if (options.Ingress is { } ingress)
        {
            var receiveOnly = options.Peers.Where(peer => peer.ParseDirection() == PeerDirection.ReceiveOnly).Select(peer => peer.Id).ToHashSet(StringComparer.Ordinal);
            ValidateIngress(ingress, peerIds, receiveOnly, Require);
        }

        if (options.Egress is { } egress)
        {
            for (var i = 0; i < egress.AllowedTargets.Count; i++)
            {
                Require(IsHttpUrl(egress.AllowedTargets[i]), $"Egress:AllowedTargets:{i}", $"'{egress.AllowedTargets[i]}' is not an absolute http or https URL");
            }

            Require(egress.ConnectTimeout > TimeSpan.Zero, "Egress:ConnectTimeout", "must be positive");
            Require(egress.MaxConnectionsPerTarget > 0, "Egress:MaxConnectionsPerTarget", "must be positive");
            Require(egress.ClockSkewAllowance >= TimeSpan.Zero, "Egress:ClockSkewAllowance", "must not be negative");
            Require(egress.IdempotencyKeyLifetime > TimeSpan.Zero, "Egress:IdempotencyKeyLifetime", "must be positive");
            Require(egress.OneWayRequestLifetime > TimeSpan.Zero, "Egress:OneWayRequestLifetime", "must be positive");
            Require(egress.MaxStoredResponseBytes >= 0, "Egress:MaxStoredResponseBytes", "must not be negative");
        }

        ValidateAdmin(options.Admin, Require);

        var http = options.Http;
        Require(http.ChunkBytes is >= 4096 and <= 4 * 1024 * 1024, "Http:ChunkBytes", "must be between 4096 and 4194304");
        Require(http.StreamWindowBytes >= 2L * http.ChunkBytes, "Http:StreamWindowBytes", "must be at least twice Relay:Http:ChunkBytes");
        Require(http.MaxStreamWindowBytes >= http.StreamWindowBytes, "Http:MaxStreamWindowBytes", "must be at least Relay:Http:StreamWindowBytes");
        Require(http.PeerBodyBudgetBytes >= http.MaxStreamWindowBytes, "Http:PeerBodyBudgetBytes", "must be at least Relay:Http:MaxStreamWindowBytes");
        Require(http.PeerBodyBudgetBytes < options.Exchange.MaxUnacknowledgedBytes, "Http:PeerBodyBudgetBytes", "must be below Relay:Exchange:MaxUnacknowledgedBytes, so small messages always find room");
        Require(http.StreamIdleTimeout > TimeSpan.Zero, "Http:StreamIdleTimeout", "must be positive");
        Require(http.HeartbeatInterval > TimeSpan.Zero, "Http:HeartbeatInterval", "must be positive");
        Require(http.PeerSilenceWarning > TimeSpan.Zero, "Http:PeerSilenceWarning", "must be positive");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateIngress(HttpProxy.IngressOptions ingress, HashSet<string> peerIds, HashSet<string> receiveOnly, Action<bool, string, string> require)
    {
        var urls = ingress.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        require(urls.Length > 0, "Ingress:Urls", "is required (for example http://127.0.0.1:8080)");
        foreach (var url in urls)
        {
            require(IsHttpUrl(url), "Ingress:Urls", $"'{url}' is not an absolute http or https URL");
        }

        require(ingress.Deadline > TimeSpan.Zero, "Ingress:Deadline", "must be positive");
        require(ingress.MaxRequestBodyBytes > 0, "Ingress:MaxRequestBodyBytes", "must be positive");
        require(ingress.MaxConcurrentStreams > 0, "Ingress:MaxConcurrentStreams", "must be positive");
        require(ingress.AsyncDeadline > TimeSpan.Zero, "Ingress:AsyncDeadline", "must be positive");
        require(ingress.AsyncResponseLifetime > TimeSpan.Zero, "Ingress:AsyncResponseLifetime", "must be positive");
        require(ingress.MaxAsyncResponseBytes > 0, "Ingress:MaxAsyncResponseBytes", "must be positive");
        require(ingress.MaxAsyncStorageBytes >= ingress.MaxAsyncResponseBytes, "Ingress:MaxAsyncStorageBytes", "must be at least Relay:Ingress:MaxAsyncResponseBytes");
        require(ingress.CallbackFirstRetryDelay > TimeSpan.Zero, "Ingress:CallbackFirstRetryDelay", "must be positive");
        require(ingress.CallbackMaxRetryDelay >= ingress.CallbackFirstRetryDelay, "Ingress:CallbackMaxRetryDelay", "must be at least Relay:Ingress:CallbackFirstRetryDelay");
        require(ingress.CallbackGiveUpAfter > TimeSpan.Zero, "Ingress:CallbackGiveUpAfter", "must be positive");
        require(ingress.CacheMaxEntryBytes > 0, "Ingress:CacheMaxEntryBytes", "must be positive");
        require(ingress.CacheMaxBytes >= ingress.CacheMaxEntryBytes, "Ingress:CacheMaxBytes", "must be at least Relay:Ingress:CacheMaxEntryBytes");
        for (var i = 0; i < ingress.TrustedProxies.Count; i++)
        {
            require(HttpProxy.Http.TrustedProxies.TryParse(ingress.TrustedProxies[i], out _), $"Ingress:TrustedProxies:{i}", $"'{ingress.TrustedProxies[i]}' is not an IP address or CIDR range (for example 10.0.0.7 or 10.0.0.0/24)");
        }

        for (var i = 0; i < ingress.AllowedCallbacks.Count; i++)
        {
            require(IsHttpUrl(ingress.AllowedCallbacks[i]), $"Ingress:AllowedCallbacks:{i}", $"'{ingress.AllowedCallbacks[i]}' is not an absolute http or https URL");
        }

        var prefixes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ingress.Routes.Count; i++)
        {
            var route = ingress.Routes[i];
            var key = $"Ingress:Routes:{i}";
            require(!string.IsNullOrWhiteSpace(route.PathPrefix), key + ":PathPrefix", "is required (for example /svc/)");
            require(string.IsNullOrWhiteSpace(route.PathPrefix) || route.PathPrefix.StartsWith('/'), key + ":PathPrefix", $"'{route.PathPrefix}' must start with '/'");
            require(!route.PathPrefix.TrimEnd('/').Equals("/relay", StringComparison.OrdinalIgnoreCase)
                && !route.PathPrefix.StartsWith("/relay/", StringComparison.OrdinalIgnoreCase), key + ":PathPrefix", "must not be under /relay/, which the node's own endpoints use");
            require(prefixes.Add(route.PathPrefix.TrimEnd('/')), key + ":PathPrefix", $"'{route.PathPrefix}' is listed twice");
            require(!string.IsNullOrWhiteSpace(route.Peer), key + ":Peer", "is required (the id of the peer that replays the route's requests)");
            require(string.IsNullOrWhiteSpace(route.Peer) || peerIds.Contains(route.Peer), key + ":Peer", $"'{route.Peer}' is not one of Relay:Peers");
            require(!receiveOnly.Contains(route.Peer), key + ":Peer", $"'{route.Peer}' is ReceiveOnly (Relay:Peers:N:Direction): this node sends it nothing, so it cannot carry a route's requests");
            require(!string.IsNullOrWhiteSpace(route.Target), key + ":Target", "is required (the base URL on the peer's side, for example http://127.0.0.1:9000/)");
            require(string.IsNullOrWhiteSpace(route.Target) || IsHttpUrl(route.Target), key + ":Target", $"'{route.Target}' is not an absolute http or https URL");
            require(route.Deadline is null || route.Deadline > TimeSpan.Zero, key + ":Deadline", "must be positive");
            require(route.CacheTtl >= TimeSpan.Zero, key + ":CacheTtl", "must not be negative (zero caches nothing)");
            require(Enum.IsDefined(route.Compression), key + ":Compression", $"'{route.Compression}' is not one of {string.Join(", ", Enum.GetNames<HttpProxy.RouteCompression>())}");
        }
    }

    private static void ValidateOneWay(PeerOptions peer, int index, Action<bool, string, string> require)
    {
        var key = $"Peers:{index}:";
        require(peer.Redundancy is null or (>= 1 and <= OneWaySettings.MaxRedundancy), key + nameof(PeerOptions.Redundancy), $"must be between 1 and {OneWaySettings.MaxRedundancy}");
        require(peer.ParityEvery is null or (>= 0 and <= OneWaySettings.MaxParityEvery), key + nameof(PeerOptions.ParityEvery), $"must be between 0 (no parity files) and {OneWaySettings.MaxParityEvery}");
        require(peer.KeepSentFor is null || peer.KeepSentFor > TimeSpan.Zero, key + nameof(PeerOptions.KeepSentFor), "must be positive");
        if (peer.ParseDirection() is { } direction and not PeerDirection.SendOnly)
        {
            // Only a sender with no way back needs copies, parity or a memory of what it sent.
            var why = direction == PeerDirection.ReceiveOnly
                ? "applies only to Direction SendOnly: this node writes nothing to a ReceiveOnly peer"
                : "applies only to Direction SendOnly: on a two-way link acks and resends cover loss";
            require(peer.Redundancy is null, key + nameof(PeerOptions.Redundancy), why);
            require(peer.ParityEvery is null, key + nameof(PeerOptions.ParityEvery), why);
            require(peer.KeepSentFor is null, key + nameof(PeerOptions.KeepSentFor), why);
        }
    }

    private static void ValidateAdmin(AdminOptions admin, Action<bool, string, string> require)
    {
        foreach (var url in Hosting.ListenAddresses.Split(admin.Urls))
        {
            require(IsHttpUrl(url), "Admin:Urls", $"'{url}' is not an absolute http or https URL");
            require(admin.AllowRemote || !IsHttpUrl(url) || Hosting.ListenAddresses.IsLoopback(url), "Admin:Urls",
                $"'{url}' is not a loopback address; the admin listener shows node and peer ids and counters, so it binds to 127.0.0.1, [::1] or localhost unless Relay:Admin:AllowRemote is true");
        }
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}
