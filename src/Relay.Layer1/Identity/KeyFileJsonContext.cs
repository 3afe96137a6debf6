using System.Text.Json.Serialization;

namespace Relay.Layer1.Identity;

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonWebKeySetDocument))]
internal sealed partial class KeyFileJsonContext : JsonSerializerContext;
