using System.IO.Abstractions;
using System.Text;
using System.Text.Json;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;

namespace Relay.Benchmarks;

/// <summary>
/// Writes the protocol test vectors in docs/vectors: two nodes' key files and files from site-a to
/// site-b, each with its expected manifest and plaintext body. Encryption and signatures are
/// randomized, so every run writes different bytes that decode to the same content.
/// </summary>
internal static class VectorWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly DateTimeOffset CreatedAt = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static int Run(string directory, TextWriter output)
    {
        var fileSystem = new FileSystem();
        Directory.CreateDirectory(directory);
        foreach (var old in Directory.EnumerateFiles(directory).Where(f => !f.EndsWith("README.md", StringComparison.Ordinal)))
        {
            File.Delete(old);
        }

        using var siteA = NodeKeyPair.Generate("site-a");
        using var siteB = NodeKeyPair.Generate("site-b");
        siteA.Save(fileSystem, directory);
        siteB.Save(fileSystem, directory);

        var pattern = Enumerable.Range(0, 2500).Select(i => (byte)(i % 251)).ToArray();
        Write(directory, siteA, siteB, "ack-only", 1, SegmentCodec.DefaultFrameSize, new AckState((1L << 32) | 1, 0, []), [], output);
        Write(directory, siteA, siteB, "one-message", 2, SegmentCodec.DefaultFrameSize, new AckState((1L << 32) | 2, 0, []),
            [new OutboundFragment(1, FragmentFlags.Whole, 1, Encoding.UTF8.GetBytes("hello, relay"))], output);
        Write(directory, siteA, siteB, "three-frames", 3, SegmentCodec.MinFrameSize, new AckState((1L << 32) | 3, 3, [new SequenceRange(5, 6)]),
            [new OutboundFragment(2, FragmentFlags.Whole, 2, pattern)], output);
        return 0;
    }

    private static void Write(string directory, NodeKeyPair sender, NodeKeyPair recipient, string vector, long number, int frameSize, AckState ack, OutboundFragment[] fragments, TextWriter output)
    {
        var body = new byte[BodyRecords.AckRecordLength(ack.Ranges.Count) + fragments.Sum(f => f.RecordLength)];
        var offset = BodyRecords.WriteAck(body, ack);
        foreach (var fragment in fragments)
        {
            offset += BodyRecords.WriteFragment(body.AsSpan(offset), fragment);
        }

        var name = SegmentFileName.Create(sender.NodeId, recipient.NodeId, number);
        var manifest = new SegmentManifest
        {
            Version = SegmentCodec.ProtocolVersion,
            Sender = sender.NodeId,
            Recipient = recipient.NodeId,
            Channel = $"{sender.NodeId}>{recipient.NodeId}",
            FileName = name,
            CreatedAt = CreatedAt,
            LamportTime = number,
            BodyLength = body.Length,
        };
        var codec = new SegmentCodec(sender, id => id == recipient.NodeId ? recipient.PublicKeys : null, frameSize);
        using (var stream = File.Create(Path.Combine(directory, name)))
        {
            codec.Write(stream, manifest, body);
        }

        File.WriteAllBytes(Path.Combine(directory, vector + ".body.bin"), body);
        var expected = new Dictionary<string, object>
        {
            ["file"] = name,
            ["version"] = manifest.Version,
            ["sender"] = manifest.Sender,
            ["recipient"] = manifest.Recipient,
            ["channel"] = manifest.Channel,
            ["created"] = manifest.CreatedAt.ToUnixTimeMilliseconds(),
            ["lamport"] = manifest.LamportTime,
            ["length"] = manifest.BodyLength,
            ["frame_size"] = frameSize,
        };
        File.WriteAllText(Path.Combine(directory, vector + ".manifest.json"), JsonSerializer.Serialize(expected, Indented) + "\n");
        output.WriteLine($"{vector}: {name} ({new FileInfo(Path.Combine(directory, name)).Length} bytes, body {body.Length} bytes)");
    }
}
