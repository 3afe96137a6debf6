using System.Text.Json.Serialization;

namespace Relay.Layer1.Format;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ManifestDocument))]
[JsonSerializable(typeof(JwsHeaderDocument))]
internal sealed partial class FormatJsonContext : JsonSerializerContext;
