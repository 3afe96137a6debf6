using System.Runtime.InteropServices;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Http;

/// <summary>Which headers cross the relay, and which body encodings are worth compressing.</summary>
internal static class HeaderRules
{
    // RFC 9110 section 7.6.1, the older names proxies still meet, HTTP/2's connection settings and
    // Alt-Svc (it advertises this hop's alternatives, not the far one's), as reverse proxies strip them.
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        HeaderNames.Connection, HeaderNames.KeepAlive, HeaderNames.ProxyConnection, HeaderNames.TE, HeaderNames.Trailer,
        HeaderNames.TransferEncoding, HeaderNames.Upgrade, HeaderNames.ProxyAuthenticate, HeaderNames.ProxyAuthorization,
        "Proxy-Features", "HTTP2-Settings", HeaderNames.AltSvc,
    };

    /// <summary>
    /// Forwarding headers: who called, for which host, over which scheme. A caller could write
    /// anything into them, so they cross only from a trusted proxy; the entry node sets its own.
    /// </summary>
    public static readonly string[] Forwarding = ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP"];

    /// <summary>Names in a <c>Connection</c> header are hop-by-hop for this message (RFC 9110 section 7.6.1).</summary>
    public static HashSet<string>? ConnectionListed(StringValues connection)
    {
        if (StringValues.IsNullOrEmpty(connection))
        {
            return null;
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in connection)
        {
            foreach (var name in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>True for headers that are not copied end to end; the body length travels on its own.</summary>
    public static bool IsExcluded(string name, HashSet<string>? connectionListed) =>
        HopByHop.Contains(name)
        || name.StartsWith(':')
        || string.Equals(name, HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
        || (connectionListed?.Contains(name) ?? false);

    /// <summary>The header fields one per value, without the excluded ones and <paramref name="alsoExclude"/>.</summary>
    public static HeaderList Flatten(IEnumerable<KeyValuePair<string, StringValues>> headers, StringValues connection, params string[] alsoExclude)
    {
        var listed = ConnectionListed(connection);
        var flat = new List<HeaderField>();
        foreach (var (name, values) in headers)
        {
            if (IsExcluded(name, listed) || alsoExclude.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var value in values)
            {
                flat.Add(new HeaderField(name, value ?? ""));
            }
        }

        return HeaderList.Create(CollectionsMarshal.AsSpan(flat));
    }

    /// <summary>False when the body is already compressed, so compressing it again would only cost time.</summary>
    public static bool IsWorthCompressing(string? contentEncoding, string? contentType)
    {
        if (!string.IsNullOrEmpty(contentEncoding) && !string.Equals(contentEncoding, "identity", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (string.IsNullOrEmpty(contentType))
        {
            return true;
        }

        var type = contentType.AsSpan();
        return !(type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) && !type.StartsWith("image/svg", StringComparison.OrdinalIgnoreCase))
            && !type.StartsWith("video/", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("audio/", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("application/zip", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("application/gzip", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("application/zstd", StringComparison.OrdinalIgnoreCase)
            && !type.StartsWith("application/x-7z", StringComparison.OrdinalIgnoreCase);
    }
}
