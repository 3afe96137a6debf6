using System.IO.Abstractions;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;

namespace Relay.Benchmarks;

/// <summary>
/// Writes the protocol test vectors in docs/vectors: two nodes' key files and files from site-a to
/// site-b, each with what a reader must recover from it (NAME.expected.json) and its plaintext body
/// (NAME.body.bin). Encryption and signatures are randomized, so every run writes different bytes
/// that decode to the same content. Layer-2 vectors live in their own folder, left alone here.
/// </summary>
internal static class VectorWriter
{
    /// <summary>Every vector is created at this instant; docs/vectors/README.md tells readers to decode them with their clock set to it.</summary>
    public static readonly DateTimeOffset CreatedAt = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    // Ack ids as a node writes them in its first run: epoch 1, counter from 1.
    private const long FirstEpoch = 1L << 40;

    // Parity group ids as a node writes them: epoch 1, counter from 1.
    private const long FirstGroup = (1L << 32) + 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
        var encrypted = siteB.PublicKeys;
        var signedOnly = siteB.PublicKeys.WithProtection(BodyProtection.SignedOnly);

        var pattern = Enumerable.Range(0, 3000).Select(i => (byte)(i % 251)).ToArray();
        var split = Encoding.UTF8.GetBytes("one message, split across two files by its sender");
        var vectors = new Vector[]
        {
            new("ack-only", 1, SegmentCodec.DefaultFrameSize, encrypted, new AckState(FirstEpoch + 1, 0, []), []),
            new("one-message", 2, SegmentCodec.DefaultFrameSize, encrypted, new AckState(FirstEpoch + 2, 0, []),
                [new OutboundFragment(1, FragmentFlags.Whole, 1, Encoding.UTF8.GetBytes("hello, relay"))]),
            new("three-frames", 3, SegmentCodec.MinFrameSize, encrypted, new AckState(FirstEpoch + 3, 3, [new SequenceRange(5, 6)]),
                [new OutboundFragment(2, FragmentFlags.Whole, 2, pattern.AsMemory(0, 2500))]),
            new("split-in-one-file", 4, SegmentCodec.DefaultFrameSize, encrypted, new AckState(FirstEpoch + 4, 3, []),
                [
                    new OutboundFragment(3, FragmentFlags.First, 3, pattern.AsMemory(0, 1000)),
                    new OutboundFragment(4, FragmentFlags.None, 3, pattern.AsMemory(1000, 1000)),
                    new OutboundFragment(5, FragmentFlags.Last, 3, pattern.AsMemory(2000, 1000)),
                ]),
            new("split-across-files-1", 5, SegmentCodec.DefaultFrameSize, encrypted, new AckState(FirstEpoch + 5, 3, []),
                [new OutboundFragment(6, FragmentFlags.First, 4, split.AsMemory(0, 20))]),
            new("split-across-files-2", 6, SegmentCodec.DefaultFrameSize, encrypted, new AckState(FirstEpoch + 6, 3, []),
                [new OutboundFragment(7, FragmentFlags.Last, 4, split.AsMemory(20))]),
            new("signed-only", 7, SegmentCodec.MinFrameSize, signedOnly, new AckState(FirstEpoch + 7, 0, []),
                [new OutboundFragment(1, FragmentFlags.Whole, 1, pattern.AsMemory(0, 1500))]),
        };
        var bodies = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var vector in vectors)
        {
            bodies[vector.Name] = Write(directory, siteA, vector, BodyOf(vector), output);
        }

        // A parity file over the bodies of two earlier vectors: with either body, the other is rebuilt.
        var parity = new Vector("parity", 8, SegmentCodec.DefaultFrameSize, encrypted, new AckState(FirstEpoch + 8, 0, []), []);
        Write(directory, siteA, parity, ParityBody(parity.Ack, FirstGroup, [bodies["one-message"], bodies["three-frames"]]), output);

        return 0;
    }

    private static byte[] BodyOf(Vector vector)
    {
        var body = new byte[BodyRecords.AckRecordLength(vector.Ack.Ranges.Count) + vector.Fragments.Sum(f => f.RecordLength)];
        var offset = BodyRecords.WriteAck(body, vector.Ack);
        foreach (var fragment in vector.Fragments)
        {
            offset += BodyRecords.WriteFragment(body.AsSpan(offset), fragment);
        }

        return body;
    }

    private static byte[] ParityBody(AckState ack, long groupId, byte[][] members)
    {
        var longest = members.Max(m => m.Length);
        var xor = new byte[longest];
        foreach (var member in members)
        {
            ParityXor.Into(xor, member);
        }

        var records = members.Select(m => new ParityMember(m.Length, SHA256.HashData(m))).ToList();
        var body = new byte[BodyRecords.AckRecordLength(ack.Ranges.Count) + BodyRecords.ParityRecordOverhead(records.Count) + longest];
        var offset = BodyRecords.WriteAck(body, ack);
        BodyRecords.WriteParity(body.AsSpan(offset), groupId, records, xor);
        return body;
    }

    private static byte[] Write(string directory, NodeKeyPair sender, Vector vector, byte[] body, TextWriter output)
    {
        var recipient = vector.Recipient;
        var name = SegmentFileName.Create(sender.NodeId, recipient.NodeId, vector.Number);
        var manifest = new SegmentManifest
        {
            Version = SegmentCodec.ProtocolVersion,
            Sender = sender.NodeId,
            Recipient = recipient.NodeId,
            Channel = $"{sender.NodeId}>{recipient.NodeId}",
            FileName = name,
            CreatedAt = CreatedAt,
            LamportTime = vector.Number,
            BodyLength = body.Length,
        };
        var codec = new SegmentCodec(sender, id => id == recipient.NodeId ? recipient : null, vector.FrameSize);
        using (var stream = File.Create(Path.Combine(directory, name)))
        {
            codec.Write(stream, manifest, body);
        }

        File.WriteAllBytes(Path.Combine(directory, vector.Name + ".body.bin"), body);
        var expected = new Dictionary<string, object>
        {
            ["file"] = name,
            ["version"] = manifest.Version,
            ["sender"] = manifest.Sender,
            ["recipient"] = manifest.Recipient,
            ["channel"] = manifest.Channel,
            ["created"] = manifest.CreatedAt.ToUnixTimeMilliseconds(),
            ["lamport"] = manifest.LamportTime,
            ["protection"] = recipient.Protection == BodyProtection.Encrypted ? SegmentCodec.EncryptedProtection : SegmentCodec.SignedOnlyProtection,
            ["length"] = manifest.BodyLength,
            ["frame_size"] = vector.FrameSize,
            ["ack"] = new Dictionary<string, object>
            {
                ["id"] = vector.Ack.AckId,
                ["cumulative"] = vector.Ack.Cumulative,
                ["ranges"] = vector.Ack.Ranges.Select(r => new[] { r.From, r.To }).ToArray(),
            },
            ["fragments"] = vector.Fragments.Select(f => new Dictionary<string, object>
            {
                ["sequence"] = f.Sequence,
                ["flags"] = (int)f.Flags,
                ["lamport"] = f.LamportTime,
                ["length"] = f.Data.Length,
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(f.Data.Span)),
            }).ToArray(),
        };
        if (BodyRecords.TryRead(body, [], out _, out var parity) is null && parity is not null)
        {
            expected["parity"] = new Dictionary<string, object>
            {
                ["group"] = parity.GroupId,
                ["members"] = parity.Members.Select(m => new Dictionary<string, object> { ["length"] = m.Length, ["sha256"] = Convert.ToHexStringLower(m.Hash) }).ToArray(),
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(parity.Xor.Span)),
            };
        }

        File.WriteAllText(Path.Combine(directory, vector.Name + ".expected.json"), JsonSerializer.Serialize(expected, Indented) + "\n");
        output.WriteLine($"{vector.Name}: {name} ({new FileInfo(Path.Combine(directory, name)).Length} bytes, body {body.Length} bytes)");
        return body;
    }

    private sealed record Vector(string Name, long Number, int FrameSize, PeerPublicKeys Recipient, AckState Ack, OutboundFragment[] Fragments);
}
