using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Relay.Layer1.Format;
using Relay.Layer1.Identity;

namespace Relay.Layer1.OneWay;

/// <summary>
/// What a receive-only node lacks from its send-only peer, signed by the receiver, to be carried to
/// the sender by hand (docs/protocol.md, "One-way channels", point 6): a compact JWS (ES256) whose
/// payload names both nodes, when it was made, the highest sequence number received and the
/// missing ranges below it. The sender writes again every listed range and everything above
/// <see cref="ReceivedThrough"/>.
/// </summary>
public sealed record GapReport
{
    public const string MediaType = "relay-gap-report";

    /// <summary>Ranges one report may list; a receiver with more lists the lowest.</summary>
    public const int MaxGaps = 4096;

    // Far larger than any report with MaxGaps ranges: a file beyond it is not read.
    private const int MaxFileBytes = 1024 * 1024;

    private static readonly string[] HeaderMembers = ["alg", "kid", "typ"];

    /// <summary>The node that lacks messages, and signs the report.</summary>
    public required string Receiver { get; init; }

    /// <summary>The node that sent them, and is asked to send them again.</summary>
    public required string Sender { get; init; }

    public required DateTimeOffset Created { get; init; }

    /// <summary>The highest sequence number the receiver holds from the sender (0 when none).</summary>
    public required long ReceivedThrough { get; init; }

    /// <summary>Missing ranges below <see cref="ReceivedThrough"/>, sorted and disjoint.</summary>
    public required IReadOnlyList<MissingRange> Gaps { get; init; }

    /// <summary>What the sender is asked for: every gap, and everything after <see cref="ReceivedThrough"/>.</summary>
    public IReadOnlyList<MissingRange> Requested() => [.. Gaps, new MissingRange(ReceivedThrough + 1, long.MaxValue)];

    /// <summary>The report as a compact JWS signed with the receiver's key, ASCII.</summary>
    public byte[] Sign(NodeKeyPair receiverKeys)
    {
        ArgumentNullException.ThrowIfNull(receiverKeys);
        if (receiverKeys.NodeId != Receiver)
        {
            throw new ArgumentException($"The report is the receiver '{Receiver}''s, not node '{receiverKeys.NodeId}''s.", nameof(receiverKeys));
        }

        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["alg"] = SegmentCodec.JwsAlgorithmName,
            ["kid"] = receiverKeys.PublicKeys.SigningKeyId,
            ["typ"] = MediaType,
        });
        using var payload = new MemoryStream();
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString("receiver", Receiver);
            writer.WriteString("sender", Sender);
            writer.WriteNumber("created", Created.ToUnixTimeMilliseconds());
            writer.WriteNumber("received_through", ReceivedThrough);
            writer.WriteStartArray("gaps");
            foreach (var gap in Gaps)
            {
                writer.WriteStartArray();
                writer.WriteNumberValue(gap.From);
                writer.WriteNumberValue(gap.To);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var signingInput = Encoding.ASCII.GetBytes(Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload.ToArray()));
        var signature = receiverKeys.SigningKey.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return [.. signingInput, (byte)'.', .. Encoding.ASCII.GetBytes(Base64Url.EncodeToString(signature))];
    }

    /// <summary>
    /// The report of a node that is not running, from its state store (read without its lock): what
    /// it handled of the sender's channel is all it holds, so the holes in that are the gaps.
    /// </summary>
    public static GapReport FromStore(string stateDirectory, string receiver, string sender, DateTimeOffset created)
    {
        var (handled, _) = State.StateStore.ReadChannelReadOnly(stateDirectory, sender);
        var gaps = new List<MissingRange>();
        var next = handled.Cumulative + 1;
        foreach (var range in handled.RangesAboveCumulative)
        {
            if (gaps.Count == MaxGaps)
            {
                break;
            }

            gaps.Add(new MissingRange(next, range.From - 1));
            next = range.To + 1;
        }

        return new GapReport { Receiver = receiver, Sender = sender, Created = created, ReceivedThrough = next - 1, Gaps = gaps };
    }

    /// <summary>The receiver a report claims to come from, before anything is verified: only to choose the key to verify it with.</summary>
    /// <exception cref="InvalidDataException">It is not a gap report.</exception>
    public static string ClaimedReceiver(ReadOnlySpan<byte> file) => Parse(file, out _, out _).Receiver;

    /// <summary>
    /// Verifies a report with the receiver's public key and checks it is addressed to
    /// <paramref name="sender"/>; returns it, or throws with one sentence saying what is wrong.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a gap report, not signed by <paramref name="receiver"/>, or addressed to another node.</exception>
    public static GapReport Verify(ReadOnlySpan<byte> file, PeerPublicKeys receiver, string sender)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        var report = Parse(file, out var keyId, out var signed);
        if (report.Receiver != receiver.NodeId)
        {
            throw new InvalidDataException($"the report is from node '{report.Receiver}', not from '{receiver.NodeId}'");
        }

        var lastDot = file.LastIndexOf((byte)'.');
        var signature = CompactJose.DecodeCanonical(file[(lastDot + 1)..]);
        if (keyId != receiver.SigningKeyId || signature is not { Length: 64 }
            || !receiver.SigningKey.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            throw new InvalidDataException($"the report's signature does not verify with the public key of '{receiver.NodeId}' (key id {receiver.SigningKeyId}): it was altered, or signed by another key");
        }

        if (report.Sender != sender)
        {
            throw new InvalidDataException($"the report asks node '{report.Sender}' for messages, not this node ('{sender}')");
        }

        return report;
    }

    private static GapReport Parse(ReadOnlySpan<byte> file, out string keyId, out byte[] signed)
    {
        if (file.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"a gap report is far smaller than {file.Length} bytes");
        }

        var text = file.TrimEnd("\r\n"u8);
        if (CompactJose.Split(text) is not { Count: CompactJose.JwsParts } parts)
        {
            throw new InvalidDataException("not a gap report: not a compact JWS");
        }

        if (CompactJose.DecodeCanonical(text[parts[0]]) is not { } headerBytes
            || CompactJose.ParseHeader(headerBytes, HeaderMembers, null, out _) is not { } header
            || CompactJose.StringMember(header, "alg") != SegmentCodec.JwsAlgorithmName
            || CompactJose.StringMember(header, "typ") != MediaType
            || CompactJose.StringMember(header, "kid") is not { } kid)
        {
            throw new InvalidDataException($"not a gap report: its header is not an ES256 JWS of type {MediaType}");
        }

        keyId = kid;
        signed = text[..(text.LastIndexOf((byte)'.'))].ToArray();
        var payload = CompactJose.DecodeCanonical(text[parts[1]]) ?? throw new InvalidDataException("not a gap report: its payload is not base64url");
        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 4 });
            var root = document.RootElement;
            var receiverId = root.GetProperty("receiver").GetString()!;
            var senderId = root.GetProperty("sender").GetString()!;
            var created = root.GetProperty("created").GetInt64();
            var through = root.GetProperty("received_through").GetInt64();
            var gaps = new List<MissingRange>();
            var previous = 0L;
            foreach (var pair in root.GetProperty("gaps").EnumerateArray())
            {
                if (pair.GetArrayLength() != 2 || gaps.Count >= MaxGaps)
                {
                    throw new InvalidDataException($"not a gap report: a gap is not a [from, to] pair, or there are more than {MaxGaps}");
                }

                var from = pair[0].GetInt64();
                var to = pair[1].GetInt64();
                if (from <= previous || to < from || to > through)
                {
                    throw new InvalidDataException($"not a gap report: the gap {from}-{to} is out of order or beyond received_through {through}");
                }

                gaps.Add(new MissingRange(from, to));
                previous = to;
            }

            if (!NodeId.IsValid(receiverId) || !NodeId.IsValid(senderId) || through < 0 || created < 0)
            {
                throw new InvalidDataException("not a gap report: a node id, the time or received_through is out of range");
            }

            return new GapReport
            {
                Receiver = receiverId,
                Sender = senderId,
                Created = DateTimeOffset.FromUnixTimeMilliseconds(created),
                ReceivedThrough = through,
                Gaps = gaps,
            };
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException("not a gap report: its payload lacks a member or has one of the wrong type", exception);
        }
    }
}
