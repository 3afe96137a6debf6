using System.Buffers.Binary;
using System.Globalization;
using System.IO.Abstractions;
using Relay.Layer1;
using Relay.Layer1.Identity;

// Usage: send|receive SELF PEER KEYS STATE FOLDER COUNT [LOG]
// send: queues messages 0..COUNT-1 (resuming from what its state store says was queued), waits
//       until all are acknowledged, exits 0.
// receive: appends each message's index to LOG, then marks it handled; runs until killed, so the
//          sender keeps getting acks.
var role = args[0];
var self = args[1];
var peer = args[2];
var fileSystem = new FileSystem();
using var keys = NodeKeyPair.Load(fileSystem, Path.Combine(args[3], self + ".private.json"));
var peerKeys = PeerPublicKeys.Load(fileSystem, Path.Combine(args[3], peer + ".public.json"));
var count = int.Parse(args[6], CultureInfo.InvariantCulture);
var options = new Layer1Options
{
    StateDirectory = args[4],
    Outbox = args[5],
    Inbox = args[5],
    MaxFileBytes = 256 * 1024,
    MinRetransmitTimeout = TimeSpan.FromMilliseconds(100),
    InitialRetransmitTimeout = TimeSpan.FromMilliseconds(300),
    MaxRetransmitTimeout = TimeSpan.FromSeconds(2),
    PollInterval = TimeSpan.FromMilliseconds(200),
};
await using var node = Layer1Node.Open(options, keys, [peerKeys]);

if (role == "send")
{
    // One fragment per message at these sizes, so the queued sequence number counts messages.
    for (var index = (int)node.GetStatus().Peers[0].QueuedThrough; index < count; index++)
    {
        var payload = new byte[8 + (index % 7 == 0 ? 100_000 : index % 500)];
        BinaryPrimitives.WriteInt64BigEndian(payload, index);
        await node.SendAsync(peer, payload);
    }

    while (node.GetStatus().Peers[0].InFlight > 0)
    {
        await Task.Delay(20);
    }

    return 0;
}

using var log = new FileStream(args[7], FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 1);
await foreach (var message in node.ReadAllAsync(peer))
{
    var index = BinaryPrimitives.ReadInt64BigEndian(message.Payload.Span);
    var expectedLength = 8 + (index % 7 == 0 ? 100_000 : index % 500);
    log.Write(System.Text.Encoding.ASCII.GetBytes(
        string.Create(CultureInfo.InvariantCulture, $"{index} {(message.Payload.Length == expectedLength ? "ok" : "bad-length")}\n")));
    await node.MarkHandledAsync(message);
}

return 0;
