using System.Text.Json.Serialization;

namespace Relay.Layer1.Identity;

/// <summary>One key of a JWK set (RFC 7517/7518), public or private members as present.</summary>
internal sealed class JsonWebKeyDocument
{
    [JsonPropertyName("kty")] public string? KeyType { get; set; }
    [JsonPropertyName("use")] public string? Use { get; set; }
    [JsonPropertyName("alg")] public string? Algorithm { get; set; }
    [JsonPropertyName("kid")] public string? KeyId { get; set; }
    [JsonPropertyName("crv")] public string? Curve { get; set; }
    [JsonPropertyName("x")] public string? X { get; set; }
    [JsonPropertyName("y")] public string? Y { get; set; }
    [JsonPropertyName("n")] public string? Modulus { get; set; }
    [JsonPropertyName("e")] public string? Exponent { get; set; }
    [JsonPropertyName("d")] public string? D { get; set; }
    [JsonPropertyName("p")] public string? P { get; set; }
    [JsonPropertyName("q")] public string? Q { get; set; }
    [JsonPropertyName("dp")] public string? DP { get; set; }
    [JsonPropertyName("dq")] public string? DQ { get; set; }
    [JsonPropertyName("qi")] public string? InverseQ { get; set; }
}
