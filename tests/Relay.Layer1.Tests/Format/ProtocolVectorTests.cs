using System.IO.Abstractions;
using System.Text;
using System.Text.Json;
using Relay.Layer1.Channels;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;

namespace Relay.Layer1.Tests.Format;

/// <summary>The files in docs/vectors decode, with site-b's keys, to the manifests and bodies documented beside them.</summary>
public sealed class ProtocolVectorTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "vectors");

    public static TheoryData<string> Vectors => new() { "ack-only", "one-message", "three-frames" };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_DecodesToTheDocumentedManifestAndBody(string vector)
    {
        var fileSystem = new FileSystem();
        using var siteB = NodeKeyPair.Load(fileSystem, Path.Combine(Directory, "site-b.private.json"));
        var siteA = PeerPublicKeys.Load(fileSystem, Path.Combine(Directory, "site-a.public.json"));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, vector + ".manifest.json")));
        var root = expected.RootElement;
        var name = root.GetProperty("file").GetString()!;
        var file = File.ReadAllBytes(Path.Combine(Directory, name));
        var codec = new SegmentCodec(siteB, id => id == "site-a" ? siteA : null);

        var body = new byte[file.Length];
        var result = codec.Decode(file, name, body);

        Assert.True(result.IsAccepted, result.Detail);
        var manifest = result.Manifest!;
        Assert.Equal(root.GetProperty("version").GetInt32(), manifest.Version);
        Assert.Equal(root.GetProperty("sender").GetString(), manifest.Sender);
        Assert.Equal(root.GetProperty("recipient").GetString(), manifest.Recipient);
        Assert.Equal(root.GetProperty("channel").GetString(), manifest.Channel);
        Assert.Equal(name, manifest.FileName);
        Assert.Equal(root.GetProperty("created").GetInt64(), manifest.CreatedAt.ToUnixTimeMilliseconds());
        Assert.Equal(root.GetProperty("lamport").GetInt64(), manifest.LamportTime);
        Assert.Equal(root.GetProperty("length").GetInt64(), manifest.BodyLength);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Directory, vector + ".body.bin")), body.AsSpan(0, result.BodyLength).ToArray());
    }

    [Fact]
    public void OneMessageVector_CarriesTheDocumentedRecords()
    {
        var body = File.ReadAllBytes(Path.Combine(Directory, "one-message.body.bin"));
        var fragments = new List<ReceivedFragment>();

        Assert.True(BodyRecords.TryRead(body, fragments, out var ack));

        Assert.Equal((1L << 32) | 2, ack!.AckId);
        Assert.Equal(0, ack.Cumulative);
        var fragment = Assert.Single(fragments);
        Assert.Equal(1, fragment.Sequence);
        Assert.Equal(FragmentFlags.Whole, fragment.Flags);
        Assert.Equal("hello, relay", Encoding.UTF8.GetString(fragment.Data.Span));
    }

    [Fact]
    public void Vector_IsRejectedByANodeWithoutTheRecipientKey()
    {
        var fileSystem = new FileSystem();
        using var siteA = NodeKeyPair.Load(fileSystem, Path.Combine(Directory, "site-a.private.json"));
        var name = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "one-message.manifest.json"))).RootElement.GetProperty("file").GetString()!;
        var file = File.ReadAllBytes(Path.Combine(Directory, name));
        var codec = new SegmentCodec(siteA, id => id == "site-a" ? siteA.PublicKeys : null);

        Assert.Equal(FileRejectReason.WrongRecipient, codec.Decode(file, name, new byte[file.Length]).Reason);
    }
}
