using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;

namespace Relay.HttpProxy.Problems;

[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int[]))]
internal sealed partial class ProblemJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Writes quotes and non-ASCII text as they are (<c>'</c>, not <c>\u0027</c>), so a person reading a
    /// problem with curl sees plain text. Safe here: problems are served as
    /// <c>application/problem+json</c> with <c>nosniff</c>, never embedded in HTML; JSON's own
    /// specials (<c>"</c>, <c>\</c>, control characters) are still escaped.
    /// </summary>
    public static ProblemJsonContext Readable { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
