using Microsoft.Extensions.Options;
using Relay.Host.Configuration;
using Relay.Host.Tests.Cli;

namespace Relay.Host.Tests.Configuration;

[Collection(nameof(EnvironmentTests))]
public sealed class RelayConfigurationTests : CliTestFolder
{
    [Fact]
    public async Task RelativePaths_AreTakenAgainstTheConfigFilesFolder()
    {
        var config = await WriteNodeAsync(ValidIngressNode);

        var options = RelayConfiguration.Load(config);

        Assert.Equal(Path.Combine(Folder, "keys", "site-a.private.json"), options.Node.PrivateKeyFile);
        Assert.Equal(Path.Combine(Folder, "state", "a"), options.Node.StateDirectory);
        Assert.Equal(Path.Combine(Folder, "state", "a"), options.Exchange.StateDirectory);
        Assert.Equal(Path.Combine(Folder, "exchange"), options.Exchange.Inbox);
        Assert.Equal(Path.Combine(Folder, "keys", "site-b.public.json"), options.Peers.Single().PublicKeyFile);
        Assert.Equal("/svc/", options.Ingress!.Routes.Single().PathPrefix);
        Assert.Null(options.Egress);
    }

    [Fact]
    public async Task EnvironmentVariables_OverrideTheFile()
    {
        var config = await WriteNodeAsync(ValidIngressNode);
        Environment.SetEnvironmentVariable("Relay__Ingress__Deadline", "00:00:07");
        try
        {
            Assert.Equal(TimeSpan.FromSeconds(7), RelayConfiguration.Load(config).Ingress!.Deadline);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Relay__Ingress__Deadline", null);
        }
    }

    [Fact]
    public async Task InvalidSettings_AreEachReportedByTheirKey()
    {
        var config = await WriteNodeAsync(ValidIngressNode
            .Replace("\"Peer\": \"site-b\"", "\"Peer\": \"site-c\"", StringComparison.Ordinal)
            .Replace("\"Target\": \"http://127.0.0.1:9000/\"", "\"Target\": \"not a url\"", StringComparison.Ordinal)
            .Replace("\"Inbox\": \"exchange\"", "\"Inbox\": \"\"", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        Assert.Contains(failure.Failures, f => f.StartsWith("Relay:Ingress:Routes:0:Peer ", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Relay:Ingress:Routes:0:Target ", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Relay:Exchange:Inbox ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("1048576", "must be at least MaxFileBytes")]
    [InlineData("1073741824", "must be at most MaxHeldBytes")]
    public async Task HeldInMemoryBound_OutsideItsRange_IsReportedByItsKey(string bytes, string rule)
    {
        // MaxFileBytes is 16 MiB and MaxHeldBytes 512 MiB by default.
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"Inbox\": \"exchange\"",
            $"\"Inbox\": \"exchange\", \"MaxHeldInMemoryBytes\": {bytes}",
            StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        var message = Assert.Single(failure.Failures);
        Assert.StartsWith("Relay:Exchange:MaxHeldInMemoryBytes " + rule, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeldInMemoryBound_IsBoundFromTheExchangeSection()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"Inbox\": \"exchange\"",
            "\"Inbox\": \"exchange\", \"MaxHeldInMemoryBytes\": 67108864, \"MaxHeldBytes\": 268435456",
            StringComparison.Ordinal));

        var options = RelayConfiguration.Load(config);

        Assert.Equal((64L * 1024 * 1024, 256L * 1024 * 1024), (options.Exchange.MaxHeldInMemoryBytes, options.Exchange.MaxHeldBytes));
    }

    [Fact]
    public async Task Run_WithAnInvalidConfig_StopsAtStartUpNamingTheKey()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace("\"Id\": \"site-a\"", "\"Id\": \"Site_A\"", StringComparison.Ordinal));
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["run", "--config", config]);

        Assert.Equal(2, exit);
        Assert.Contains("Relay:Node:Id 'Site_A' is not a valid node id", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:9090")]
    [InlineData("http://192.0.2.10:9090")]
    [InlineData("http://[::]:9090")]
    [InlineData("http://relay-a.example:9090")]
    public async Task AdminListener_OffLoopback_IsRefusedUnlessAllowed(string url)
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace("\"Exchange\"", $"\"Admin\": {{ \"Urls\": \"{url}\" }}, \"Exchange\"", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));
        Assert.Contains(failure.Failures, f => f.StartsWith($"Relay:Admin:Urls '{url}' is not a loopback address", StringComparison.Ordinal));

        var allowed = RelayConfiguration.Load(config, new Dictionary<string, string?> { ["Relay:Admin:AllowRemote"] = "true" });
        Assert.Equal(url, allowed.Admin.Urls);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9090")]
    [InlineData("http://localhost:9090")]
    [InlineData("http://[::1]:9090")]
    public async Task AdminListener_OnLoopback_IsAccepted(string url)
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace("\"Exchange\"", $"\"Admin\": {{ \"Urls\": \"{url}\" }}, \"Exchange\"", StringComparison.Ordinal));

        Assert.Equal(url, RelayConfiguration.Load(config).Admin.Urls);
    }

    [Fact]
    public async Task MisspelledKeys_RefuseStartUp_WithTheKeyTheyMeant()
    {
        var config = await WriteNodeAsync(ValidIngressNode
            .Replace("\"Urls\": \"http://127.0.0.1:8080\",", "\"Urls\": \"http://127.0.0.1:8080\", \"Deadlne\": \"00:00:05\",", StringComparison.Ordinal)
            .Replace("\"Exchange\": {", "\"Egress\": { \"AllowedTarget\": [ \"http://127.0.0.1:9000/\" ] }, \"Exchange\": {", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        Assert.Contains(failure.Failures, f => f == $"Relay:Ingress:Deadlne is not a known setting (in {config}); did you mean Relay:Ingress:Deadline?");
        Assert.Contains(failure.Failures, f => f.StartsWith("Relay:Egress:AllowedTarget is not a known setting", StringComparison.Ordinal) && f.EndsWith("did you mean Relay:Egress:AllowedTargets?", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("Lz4, Brotli")]
    [InlineData("7")]
    public async Task CompressionThatIsNotACodec_RefusesStartUp_NamingTheKeyAndTheChoices(string value)
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"Target\": \"http://127.0.0.1:9000/\" }", $"\"Target\": \"http://127.0.0.1:9000/\", \"Compression\": \"{value}\" }}", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        Assert.Contains(failure.Failures, f => f == $"Relay:Ingress:Routes:0:Compression '{value}' is not one of Auto, Lz4, Brotli, None (in {config}).");
    }

    [Fact]
    public async Task NegativeCacheTtl_RefusesStartUp_NamingTheKey()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"Target\": \"http://127.0.0.1:9000/\" }", "\"Target\": \"http://127.0.0.1:9000/\", \"CacheTtl\": \"-00:00:05\" }", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        Assert.Contains(failure.Failures, f => f == "Relay:Ingress:Routes:0:CacheTtl must not be negative (zero caches nothing).");
    }

    [Fact]
    public async Task CacheTtl_IsTaken_AndCachingIsOffWithoutIt()
    {
        var plain = await WriteNodeAsync(ValidIngressNode);
        Assert.Equal(TimeSpan.Zero, RelayConfiguration.Load(plain).Ingress!.Routes[0].CacheTtl);

        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"Target\": \"http://127.0.0.1:9000/\" }", "\"Target\": \"http://127.0.0.1:9000/\", \"CacheTtl\": \"00:02:00\" }", StringComparison.Ordinal));
        Assert.Equal(TimeSpan.FromMinutes(2), RelayConfiguration.Load(config).Ingress!.Routes[0].CacheTtl);
    }

    [Fact]
    public async Task CacheSmallerThanOneEntry_RefusesStartUp_NamingTheKey()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"Routes\":", "\"CacheMaxEntryBytes\": 2048, \"CacheMaxBytes\": 1024, \"Routes\":", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        Assert.Contains(failure.Failures, f => f == "Relay:Ingress:CacheMaxBytes must be at least Relay:Ingress:CacheMaxEntryBytes.");
    }

    [Theory]
    [InlineData("lz4", HttpProxy.RouteCompression.Lz4)]
    [InlineData("None", HttpProxy.RouteCompression.None)]
    public async Task CompressionByName_IsTaken_InAnyCase(string value, HttpProxy.RouteCompression expected)
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"Target\": \"http://127.0.0.1:9000/\" }", $"\"Target\": \"http://127.0.0.1:9000/\", \"Compression\": \"{value}\" }}", StringComparison.Ordinal));

        Assert.Equal(expected, RelayConfiguration.Load(config).Ingress!.Routes[0].Compression);
    }

    [Fact]
    public async Task UnknownKeyFromTheEnvironment_SaysItCameFromThere()
    {
        var config = await WriteNodeAsync(ValidIngressNode);
        Environment.SetEnvironmentVariable("Relay__Ingress__Routes__0__Targte", "http://127.0.0.1:9001/");
        try
        {
            var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

            Assert.Contains(failure.Failures, f => f == "Relay:Ingress:Routes:0:Targte is not a known setting (from the environment variable Relay__Ingress__Routes__0__Targte); did you mean Relay:Ingress:Routes:0:Target?");
        }
        finally
        {
            Environment.SetEnvironmentVariable("Relay__Ingress__Routes__0__Targte", null);
        }
    }

    [Fact]
    public async Task UnknownSection_ListsWhatIsKnown()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace("\"Exchange\": {", "\"Telemetry\": { \"On\": true }, \"Exchange\": {", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        var line = Assert.Single(failure.Failures);
        Assert.StartsWith("Relay:Telemetry is not a known setting", line, StringComparison.Ordinal);
        Assert.Contains("the settings of Relay are Admin, Egress, Exchange, Http, Ingress, Node, Peers", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingRouteTarget_IsReportedAsMissing()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(", \"Target\": \"http://127.0.0.1:9000/\"", "", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        var line = Assert.Single(failure.Failures);
        Assert.StartsWith("Relay:Ingress:Routes:0:Target is required", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARouteToAReceiveOnlyPeer_StopsStartUpNamingTheRoutesPeer()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"PublicKeyFile\": \"keys/site-b.public.json\" }", "\"PublicKeyFile\": \"keys/site-b.public.json\", \"Direction\": \"ReceiveOnly\" }", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        var line = Assert.Single(failure.Failures);
        Assert.StartsWith("Relay:Ingress:Routes:0:Peer 'site-b' is ReceiveOnly", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARouteToASendOnlyPeer_IsAOneWayRoute_AndStartsUp()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"PublicKeyFile\": \"keys/site-b.public.json\" }", "\"PublicKeyFile\": \"keys/site-b.public.json\", \"Direction\": \"SendOnly\" }", StringComparison.Ordinal));

        var options = RelayConfiguration.Load(config);

        Assert.Equal("SendOnly", options.Peers.Single().Direction);
    }

    [Fact]
    public async Task ANonPositiveOneWayRequestLifetime_IsReportedByItsKey()
    {
        var config = await WriteNodeAsync(ValidIngressNode.Replace(
            "\"Exchange\": {", "\"Egress\": { \"OneWayRequestLifetime\": \"00:00:00\" }, \"Exchange\": {", StringComparison.Ordinal));

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        var line = Assert.Single(failure.Failures);
        Assert.StartsWith("Relay:Egress:OneWayRequestLifetime must be positive", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithoutARunningNode_SaysSo()
    {
        var config = await WriteNodeAsync(ValidIngressNode);
        using var run = new CommandLineRun();

        var exit = await run.InvokeAsync(["status", "--config", config]);

        Assert.Equal(1, exit);
        Assert.Contains("has not run yet", run.Error, StringComparison.Ordinal);
    }

    private const string ValidIngressNode = """
        { "Relay": {
            "Node": { "Id": "site-a", "PrivateKeyFile": "keys/site-a.private.json", "StateDirectory": "state/a" },
            "Peers": [ { "Id": "site-b", "PublicKeyFile": "keys/site-b.public.json" } ],
            "Exchange": { "Outbox": "exchange", "Inbox": "exchange" },
            "Ingress": { "Urls": "http://127.0.0.1:8080",
                         "Routes": [ { "PathPrefix": "/svc/", "Peer": "site-b", "Target": "http://127.0.0.1:9000/" } ] } } }
        """;

    private async Task<string> WriteNodeAsync(string json)
    {
        foreach (var id in new[] { "site-a", "site-b" })
        {
            await RunAsync(["keygen", "--node", id, "--out", Path.Combine(Folder, "keys")]);
        }

        var path = Path.Combine(Folder, "a.json");
        await File.WriteAllTextAsync(path, json);
        return path;
    }
}
