using System.Text.Json.Serialization;

namespace Relay.Layer1.Identity;

/// <summary>A JWK set file: the node's keys plus the node id they belong to.</summary>
internal sealed class JsonWebKeySetDocument
{
    [JsonPropertyName("relay_node")] public string? NodeId { get; set; }
    [JsonPropertyName("keys")] public List<JsonWebKeyDocument> Keys { get; set; } = [];
}
