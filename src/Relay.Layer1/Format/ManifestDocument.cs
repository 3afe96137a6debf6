using System.Text.Json.Serialization;

namespace Relay.Layer1.Format;

/// <summary>
/// The manifest as signed (the JWS payload); see docs/protocol.md. Members are nullable so a
/// missing one is told apart from a zero; unknown members are ignored.
/// </summary>
internal sealed class ManifestDocument
{
    [JsonPropertyName("version")] public long? Version { get; set; }
    [JsonPropertyName("sender")] public string? Sender { get; set; }
    [JsonPropertyName("recipient")] public string? Recipient { get; set; }
    [JsonPropertyName("channel")] public string? Channel { get; set; }
    [JsonPropertyName("file")] public string? FileName { get; set; }
    [JsonPropertyName("created")] public long? CreatedUnixMilliseconds { get; set; }
    [JsonPropertyName("lamport")] public long? LamportTime { get; set; }
    [JsonPropertyName("content_type")] public string? ContentType { get; set; }
    [JsonPropertyName("protection")] public string? Protection { get; set; }
    [JsonPropertyName("length")] public long? BodyLength { get; set; }
    [JsonPropertyName("frame_size")] public long? FrameSize { get; set; }
    [JsonPropertyName("body_key")] public string? BodyKey { get; set; }
    [JsonPropertyName("nonce_prefix")] public string? NoncePrefix { get; set; }
    [JsonPropertyName("frame_hashes")] public List<string>? FrameHashes { get; set; }
}
