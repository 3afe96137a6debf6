using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Relay.Layer1.Format;

/// <summary>
/// The structural rules of the envelope's compact serializations (docs/protocol.md, "Envelope"),
/// checked before any key is used: only base64url characters and dots, the expected number of
/// parts, each part canonical base64url, and a protected header that is one JSON object without
/// duplicate members and with only the members this format allows.
/// </summary>
internal static class CompactJose
{
    public const int JwsParts = 3;
    public const int JweParts = 5;

    private static readonly JsonDocumentOptions HeaderOptions = new() { AllowDuplicateProperties = false, MaxDepth = 4 };

    /// <summary>Splits at the dots; null when a byte is outside the base64url alphabet and the dot.</summary>
    public static List<Range>? Split(ReadOnlySpan<byte> compact)
    {
        var parts = new List<Range>(JweParts);
        var start = 0;
        for (var i = 0; i < compact.Length; i++)
        {
            var c = compact[i];
            if (c == (byte)'.')
            {
                parts.Add(start..i);
                start = i + 1;
            }
            else if (!char.IsAsciiLetterOrDigit((char)c) && c != (byte)'-' && c != (byte)'_')
            {
                return null;
            }
        }

        parts.Add(start..compact.Length);
        return parts;
    }

    /// <summary>
    /// Decodes base64url without padding, accepting only the canonical spelling (the one encoding
    /// would produce: unused low bits zero), so every value has exactly one form in a signed file.
    /// </summary>
    public static byte[]? DecodeCanonical(ReadOnlySpan<byte> text)
    {
        if (text.Length % 4 == 1 || !Base64Url.IsValid(text, out var length))
        {
            return null;
        }

        var bytes = new byte[length];
        if (Base64Url.DecodeFromUtf8(text, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != length)
        {
            return null;
        }

        var encodedLength = Base64Url.GetEncodedLength(length);
        var buffer = encodedLength <= 256 ? stackalloc byte[encodedLength] : new byte[encodedLength];
        Base64Url.EncodeToUtf8(bytes, buffer);
        return buffer.SequenceEqual(text) ? bytes : null;
    }

    /// <summary>Canonical base64url of a string member, or null.</summary>
    public static byte[]? DecodeCanonical(string? text) =>
        text is null || text.Length > 1024 || !Ascii.IsValid(text) ? null : DecodeCanonical(Encoding.ASCII.GetBytes(text));

    /// <summary>
    /// Parses a protected header: one JSON object, no duplicate members, every member in
    /// <paramref name="allowed"/> and a string unless it is <paramref name="objectMember"/>.
    /// Returns null and a detail when it breaks a rule.
    /// </summary>
    public static Dictionary<string, JsonElement>? ParseHeader(byte[] json, string[] allowed, string? objectMember, out string detail)
    {
        detail = "";
        if (!Utf8.IsValid(json))
        {
            detail = "the header is not UTF-8";
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json, HeaderOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                detail = "the header is not a JSON object";
                return null;
            }

            var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (Array.IndexOf(allowed, member.Name) < 0)
                {
                    detail = $"the header has the member \"{member.Name}\", which this format does not allow";
                    return null;
                }

                var expected = member.Name == objectMember ? JsonValueKind.Object : JsonValueKind.String;
                if (member.Value.ValueKind != expected)
                {
                    detail = $"the header member \"{member.Name}\" is not a JSON {(expected == JsonValueKind.Object ? "object" : "string")}";
                    return null;
                }

                members.Add(member.Name, member.Value.Clone());
            }

            return members;
        }
        catch (JsonException)
        {
            detail = "the header is not JSON";
            return null;
        }
    }

    /// <summary>The string value of a member, or null when absent.</summary>
    public static string? StringMember(Dictionary<string, JsonElement> header, string name) =>
        header.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
