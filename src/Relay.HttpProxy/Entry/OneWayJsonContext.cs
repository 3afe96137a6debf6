using System.Text.Json.Serialization;

namespace Relay.HttpProxy.Entry;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OneWaySentDocument))]
internal sealed partial class OneWayJsonContext : JsonSerializerContext;
