namespace Relay.HttpProxy.Http;

/// <summary>
/// Refuses paths that mean something else once a callee decodes them: <c>..</c> or <c>.</c> segments,
/// an encoded <c>/</c> or <c>\</c>, a backslash or a NUL, at any level of percent-encoding. A
/// callee that decodes <c>/pub/..%2fprivate.txt</c> would serve a file outside <c>/pub/</c>, although
/// the path as routed and allowlisted is under it.
/// </summary>
internal static class PathSafety
{
    // Double and triple encodings (%252f) are decoded too: some callees decode more than once.
    private const int MaxDecodings = 3;

    /// <summary>Why <paramref name="rawPath"/> (as sent, still percent-encoded, without the query) is refused, or null when it is safe.</summary>
    public static string? Problem(string rawPath)
    {
        var current = rawPath;
        for (var level = 0; level <= MaxDecodings; level++)
        {
            if (current.Contains("%2f", StringComparison.OrdinalIgnoreCase) || current.Contains("%5c", StringComparison.OrdinalIgnoreCase))
            {
                return "it has an encoded '/' or '\\'";
            }

            if (current.Contains('\\', StringComparison.Ordinal))
            {
                return "it has a '\\'";
            }

            if (current.Contains('\0', StringComparison.Ordinal) || current.Contains("%00", StringComparison.Ordinal))
            {
                return "it has a NUL";
            }

            if (current.Split('/').Any(segment => segment is "." or ".."))
            {
                return "it has a '.' or '..' segment";
            }

            if (!current.Contains('%', StringComparison.Ordinal))
            {
                return null;
            }

            var decoded = Uri.UnescapeDataString(current);
            if (decoded == current)
            {
                return null;
            }

            current = decoded;
        }

        return "it is percent-encoded more than three times over";
    }

    /// <summary>The path of an absolute URL as written (percent-encoding kept), without query or fragment.</summary>
    public static string RawPathOf(string absoluteUrl)
    {
        var start = absoluteUrl.IndexOf("://", StringComparison.Ordinal);
        var pathStart = start < 0 ? -1 : absoluteUrl.IndexOf('/', start + 3);
        if (pathStart < 0)
        {
            return "/";
        }

        var end = absoluteUrl.IndexOfAny(['?', '#'], pathStart);
        return end < 0 ? absoluteUrl[pathStart..] : absoluteUrl[pathStart..end];
    }
}
