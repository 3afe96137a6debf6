using System.Text.Json.Serialization;

namespace Relay.Layer1.Format;

/// <summary>The members of the inner JWS header the receiver checks.</summary>
internal sealed class JwsHeaderDocument
{
    [JsonPropertyName("alg")] public string? Algorithm { get; set; }
    [JsonPropertyName("kid")] public string? KeyId { get; set; }
}
