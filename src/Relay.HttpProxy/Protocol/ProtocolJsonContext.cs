using System.Text.Json.Serialization;

namespace Relay.HttpProxy.Protocol;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RequestHead))]
[JsonSerializable(typeof(ResponseHead))]
[JsonSerializable(typeof(UnsupportedVersionDocument))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
