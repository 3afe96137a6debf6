using Relay.Layer1.Identity;

namespace Relay.Layer1.Tests.Support;

/// <summary>Opens layer-1 nodes on temp folders with settings that keep tests quick.</summary>
internal static class TestNodes
{
    public static Layer1Options Options(string stateDirectory, string outbox, string inbox, int maxFileBytes = 1024 * 1024) => new()
    {
        StateDirectory = stateDirectory,
        Outbox = outbox,
        Inbox = inbox,
        MaxFileBytes = maxFileBytes,
        MinRetransmitTimeout = TimeSpan.FromMilliseconds(100),
        InitialRetransmitTimeout = TimeSpan.FromMilliseconds(300),
        MaxRetransmitTimeout = TimeSpan.FromSeconds(2),
        MaxUnacknowledgedBytes = 32L * 1024 * 1024,
        MaxHeldBytes = 64L * 1024 * 1024,
        PollInterval = TimeSpan.FromMilliseconds(200),
    };

    public static Layer1Node Open(Layer1Options options, NodeKeyPair self, params NodeKeyPair[] peers) =>
        Layer1Node.Open(options, self, peers.Select(p => p.PublicKeys));

    /// <summary>Reads the next message within a bounded time.</summary>
    public static async Task<ReceivedMessage> ReceiveWithinAsync(this Layer1Node node, string peer, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        return await node.ReceiveAsync(peer, cancellation.Token);
    }
}
