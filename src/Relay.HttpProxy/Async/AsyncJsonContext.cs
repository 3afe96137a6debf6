using System.Text.Json.Serialization;

namespace Relay.HttpProxy.Async;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(AsyncAcceptedDocument))]
internal sealed partial class AsyncJsonContext : JsonSerializerContext;
