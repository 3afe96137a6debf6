using System.Text.Json.Serialization;

namespace Relay.Host.Status;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(NodeStatusDocument))]
[JsonSerializable(typeof(HealthDocument))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
