using System.IO.Abstractions;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Relay.Layer1.Exchange;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;

namespace Relay.Layer1.Tests.Format;

/// <summary>
/// Every file in docs/vectors is received, with site-b's keys and default settings, as
/// docs/vectors/README.md says: the receiver's clock at the vectors' creation time (the age check is
/// the receiver's, against its own clock), site-a configured sign-only for the sign-only vector only.
/// </summary>
public sealed class ProtocolVectorTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "vectors");

    public static TheoryData<string> Vectors => new(VectorNames());

    [Fact]
    public void VectorSet_HasEveryDocumentedCase()
    {
        Assert.Equal(
            ["ack-only", "one-message", "parity", "signed-only", "split-across-files-1", "split-across-files-2", "split-in-one-file", "three-frames"],
            VectorNames());
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Vector_IsReceivedUnderDefaultSettingsAsDocumented(string vector)
    {
        using var expected = Expected(vector);
        var root = expected.RootElement;
        var fragments = new List<ReceivedFragment>();

        var (receipt, body) = Receive(root, fragments);

        Assert.True(receipt.IsAccepted, receipt.Detail);
        var manifest = receipt.Manifest!;
        Assert.Equal(root.GetProperty("version").GetInt32(), manifest.Version);
        Assert.Equal(root.GetProperty("sender").GetString(), manifest.Sender);
        Assert.Equal(root.GetProperty("recipient").GetString(), manifest.Recipient);
        Assert.Equal(root.GetProperty("channel").GetString(), manifest.Channel);
        Assert.Equal(root.GetProperty("file").GetString(), manifest.FileName);
        Assert.Equal(root.GetProperty("created").GetInt64(), manifest.CreatedAt.ToUnixTimeMilliseconds());
        Assert.Equal(root.GetProperty("lamport").GetInt64(), manifest.LamportTime);
        Assert.Equal(root.GetProperty("length").GetInt64(), manifest.BodyLength);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Directory, vector + ".body.bin")), body);

        var ack = root.GetProperty("ack");
        Assert.Equal(ack.GetProperty("id").GetInt64(), receipt.Ack!.AckId);
        Assert.Equal(ack.GetProperty("cumulative").GetInt64(), receipt.Ack.Cumulative);
        Assert.Equal(
            ack.GetProperty("ranges").EnumerateArray().Select(r => (r[0].GetInt64(), r[1].GetInt64())),
            receipt.Ack.Ranges.Select(r => (r.From, r.To)));
        Assert.Equal(
            root.GetProperty("fragments").EnumerateArray().Select(f => (f.GetProperty("sequence").GetInt64(), f.GetProperty("flags").GetInt32(), f.GetProperty("lamport").GetInt64(), f.GetProperty("length").GetInt32(), f.GetProperty("sha256").GetString())),
            fragments.Select(f => (f.Sequence, (int)f.Flags, f.LamportTime, f.Data.Length, (string?)Convert.ToHexStringLower(SHA256.HashData(f.Data.Span)))));
    }

    [Fact]
    public void EncryptedVectors_CarryTheDocumentedMessages_IncludingThoseSplitAcrossFragmentsAndFiles()
    {
        var fragments = new SortedDictionary<long, ReceivedFragment>();
        foreach (var vector in VectorNames().Where(v => v != "signed-only"))
        {
            using var expected = Expected(vector);
            var received = new List<ReceivedFragment>();
            var (receipt, _) = Receive(expected.RootElement, received);
            Assert.True(receipt.IsAccepted, receipt.Detail);
            foreach (var fragment in received)
            {
                fragments.Add(fragment.Sequence, fragment with { Data = fragment.Data.ToArray() });
            }
        }

        var messages = new List<byte[]>();
        var current = new List<byte>();
        foreach (var (_, fragment) in fragments)
        {
            Assert.Equal(current.Count == 0, (fragment.Flags & FragmentFlags.First) != 0);
            current.AddRange(fragment.Data.ToArray());
            if ((fragment.Flags & FragmentFlags.Last) != 0)
            {
                messages.Add([.. current]);
                current.Clear();
            }
        }

        var pattern = Enumerable.Range(0, 3000).Select(i => (byte)(i % 251)).ToArray();
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 7 }, fragments.Keys);
        Assert.Equal("hello, relay", Encoding.UTF8.GetString(messages[0]));
        Assert.Equal(pattern[..2500], messages[1]);
        Assert.Equal(pattern, messages[2]);
        Assert.Equal("one message, split across two files by its sender", Encoding.UTF8.GetString(messages[3]));
        Assert.Empty(current);
    }

    [Fact]
    public void ParityVector_ListsTwoBodies_AndRebuildsEitherFromTheOther()
    {
        using var expected = Expected("parity");
        var (receipt, _) = Receive(expected.RootElement, []);
        Assert.True(receipt.IsAccepted, receipt.Detail);
        var parity = receipt.Parity!;
        var documented = expected.RootElement.GetProperty("parity");
        var oneMessage = File.ReadAllBytes(Path.Combine(Directory, "one-message.body.bin"));
        var threeFrames = File.ReadAllBytes(Path.Combine(Directory, "three-frames.body.bin"));

        Assert.Equal(documented.GetProperty("group").GetInt64(), parity.GroupId);
        Assert.Equal(
            documented.GetProperty("members").EnumerateArray().Select(m => (m.GetProperty("length").GetInt32(), m.GetProperty("sha256").GetString())),
            parity.Members.Select(m => (m.Length, (string?)Convert.ToHexStringLower(m.Hash))));
        Assert.Equal(documented.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(parity.Xor.Span)));
        Assert.Equal(oneMessage, Rebuild(parity, threeFrames, parity.Members[0].Length));
        Assert.Equal(threeFrames, Rebuild(parity, oneMessage, parity.Members[1].Length));
        Assert.Equal(SHA256.HashData(oneMessage), parity.Members[0].Hash);
    }

    [Fact]
    public void Vector_IsRejectedByANodeWithoutTheRecipientKey()
    {
        var fileSystem = new FileSystem();
        using var siteA = NodeKeyPair.Load(fileSystem, Path.Combine(Directory, "site-a.private.json"));
        using var expected = Expected("one-message");
        var name = expected.RootElement.GetProperty("file").GetString()!;
        var file = File.ReadAllBytes(Path.Combine(Directory, name));
        var codec = new SegmentCodec(siteA, id => id == "site-a" ? siteA.PublicKeys : null);

        Assert.Equal(FileRejectReason.WrongRecipient, codec.Decode(file, name, new byte[file.Length]).Reason);
    }

    [Fact]
    public void SignedOnlyVector_ToAReceiverExpectingEncryption_IsProtectionMismatch()
    {
        using var expected = Expected("signed-only");
        var (receipt, _) = Receive(expected.RootElement, [], BodyProtection.Encrypted);
        Assert.Equal(FileRejectReason.ProtectionMismatch, receipt.Reason);
    }

    [Fact]
    public void Vector_ReceivedLaterThanTheDefaultMaxFileAge_IsExpired()
    {
        using var expected = Expected("one-message");
        var late = new Layer1Options().MaxFileAge + TimeSpan.FromMilliseconds(1);
        var (receipt, _) = Receive(expected.RootElement, [], clockOffset: late);
        Assert.Equal(FileRejectReason.Expired, receipt.Reason);
    }

    private static byte[] Rebuild(ParityRecord parity, byte[] other, int length)
    {
        var work = parity.Xor.ToArray();
        ParityXor.Into(work, other);
        return work[..length];
    }

    private static IEnumerable<string> VectorNames() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.expected.json").Select(f => Path.GetFileName(f)[..^".expected.json".Length]).Order(StringComparer.Ordinal);

    private static JsonDocument Expected(string vector) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, vector + ".expected.json")));

    private static (SegmentReceipt Receipt, byte[] Body) Receive(JsonElement root, List<ReceivedFragment> fragments, BodyProtection? protection = null, TimeSpan clockOffset = default)
    {
        var fileSystem = new FileSystem();
        using var siteB = NodeKeyPair.Load(fileSystem, Path.Combine(Directory, "site-b.private.json"));
        var configured = protection ?? (root.GetProperty("protection").GetString() == SegmentCodec.SignedOnlyProtection ? BodyProtection.SignedOnly : BodyProtection.Encrypted);
        var siteA = PeerPublicKeys.Load(fileSystem, Path.Combine(Directory, "site-a.public.json")).WithProtection(configured);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("created").GetInt64()) + clockOffset);
        var receiver = new SegmentReceiver(new SegmentCodec(siteB, id => id == "site-a" ? siteA : null), id => id == "site-a", new Layer1Options(), clock);
        var name = root.GetProperty("file").GetString()!;
        var file = File.ReadAllBytes(Path.Combine(Directory, name));
        var body = new byte[file.Length];
        var receipt = receiver.Read(name, file, body, fragments);
        return (receipt, body.AsSpan(0, (int)(receipt.Manifest?.BodyLength ?? 0)).ToArray());
    }
}
