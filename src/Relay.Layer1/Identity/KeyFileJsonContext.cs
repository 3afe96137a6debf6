using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Relay.Layer1.Identity;

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonWebKeySetDocument))]
internal sealed partial class KeyFileJsonContext : JsonSerializerContext
{
    /// <summary>Writes key files as people read them: "ECDH-ES+A256KW", not "ECDH-ES\u002BA256KW" (the file is JSON, never HTML).</summary>
    public static KeyFileJsonContext Readable { get; } = new(new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
