using System.Text.Json.Serialization;

namespace Relay.Layer1.Format;

// A member given twice would let two readers see two manifests in one signed file: refused.
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowDuplicateProperties = false, MaxDepth = 4)]
[JsonSerializable(typeof(ManifestDocument))]
internal sealed partial class FormatJsonContext : JsonSerializerContext;
