using Microsoft.Extensions.Options;
using Relay.Host.Configuration;
using Relay.Host.Hosting;
using Relay.Host.Tests.Cli;
using Relay.Layer1;

namespace Relay.Host.Tests.Configuration;

[Collection(nameof(EnvironmentTests))]
public sealed class OneWayConfigurationTests : CliTestFolder
{
    [Fact]
    public async Task SendOnlyPeer_WithoutOneWayKeys_GetsTwoCopiesParityEveryEightAndAWeeksRetention()
    {
        var config = await WriteNodeAsync("\"Direction\": \"SendOnly\"");

        var options = RelayConfiguration.Load(config);
        var peer = NodeKeyring.Load(options, new System.IO.Abstractions.FileSystem()).Peers.Single();

        Assert.Equal(PeerDirection.SendOnly, peer.Direction);
        Assert.Equal(2, peer.OneWay.Redundancy);
        Assert.Equal(8, peer.OneWay.ParityEvery);
        Assert.Equal(TimeSpan.FromDays(7), peer.OneWay.KeepSentFor);
    }

    [Fact]
    public async Task SendOnlyPeer_WithOneWayKeys_GetsThem()
    {
        var config = await WriteNodeAsync("\"Direction\": \"SendOnly\", \"Redundancy\": 3, \"ParityEvery\": 0, \"KeepSentFor\": \"1.00:00:00\"");

        var peer = NodeKeyring.Load(RelayConfiguration.Load(config), new System.IO.Abstractions.FileSystem()).Peers.Single();

        Assert.Equal(3, peer.OneWay.Redundancy);
        Assert.Equal(0, peer.OneWay.ParityEvery);
        Assert.Equal(TimeSpan.FromDays(1), peer.OneWay.KeepSentFor);
    }

    [Theory]
    [InlineData("Both")]
    [InlineData("ReceiveOnly")]
    public async Task OtherDirections_GetOneCopyAndNoParity(string direction)
    {
        var config = await WriteNodeAsync($"\"Direction\": \"{direction}\"");

        var peer = NodeKeyring.Load(RelayConfiguration.Load(config), new System.IO.Abstractions.FileSystem()).Peers.Single();

        Assert.Equal(1, peer.OneWay.Redundancy);
        Assert.Equal(0, peer.OneWay.ParityEvery);
    }

    [Theory]
    [InlineData("\"Direction\": \"SendOnly\", \"Redundancy\": 0", "Redundancy", "between 1 and 8")]
    [InlineData("\"Direction\": \"SendOnly\", \"Redundancy\": 9", "Redundancy", "between 1 and 8")]
    [InlineData("\"Direction\": \"SendOnly\", \"ParityEvery\": -1", "ParityEvery", "between 0")]
    [InlineData("\"Direction\": \"SendOnly\", \"ParityEvery\": 65", "ParityEvery", "between 0")]
    [InlineData("\"Direction\": \"SendOnly\", \"KeepSentFor\": \"00:00:00\"", "KeepSentFor", "must be positive")]
    [InlineData("\"Direction\": \"ReceiveOnly\", \"Redundancy\": 2", "Redundancy", "writes nothing to a ReceiveOnly peer")]
    [InlineData("\"Direction\": \"ReceiveOnly\", \"ParityEvery\": 4", "ParityEvery", "applies only to Direction SendOnly")]
    [InlineData("\"Redundancy\": 2", "Redundancy", "acks and resends cover loss")]
    [InlineData("\"KeepSentFor\": \"2.00:00:00\"", "KeepSentFor", "applies only to Direction SendOnly")]
    public async Task OneWayKeys_ThatMakeNoSense_StopStartUpNamingTheKey(string peerSettings, string key, string rule)
    {
        var config = await WriteNodeAsync(peerSettings);

        var failure = Assert.Throws<OptionsValidationException>(() => RelayConfiguration.Load(config));

        var line = Assert.Single(failure.Failures);
        Assert.StartsWith($"Relay:Peers:0:{key} ", line, StringComparison.Ordinal);
        Assert.Contains(rule, line, StringComparison.Ordinal);
    }

    private async Task<string> WriteNodeAsync(string peerSettings)
    {
        foreach (var id in new[] { "site-a", "site-b" })
        {
            await RunAsync(["keygen", "--node", id, "--out", Path.Combine(Folder, "keys")]);
        }

        var path = Path.Combine(Folder, "a.json");
        await File.WriteAllTextAsync(path, $$"""
            { "Relay": {
                "Node": { "Id": "site-a", "PrivateKeyFile": "keys/site-a.private.json", "StateDirectory": "state/a" },
                "Peers": [ { "Id": "site-b", "PublicKeyFile": "keys/site-b.public.json", {{peerSettings}} } ],
                "Exchange": { "Outbox": "out", "Inbox": "in" },
                "Egress": { "AllowedTargets": [ "http://127.0.0.1:9000/" ] } } }
            """);
        return path;
    }
}
