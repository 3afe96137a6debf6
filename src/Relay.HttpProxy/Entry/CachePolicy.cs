using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Relay.HttpProxy.Protocol;

namespace Relay.HttpProxy.Entry;

/// <summary>
/// What the route cache may keep and serve, after RFC 9111 for a shared cache: responses whose status is
/// cacheable by default, never <c>no-store</c>, <c>private</c>, <c>no-cache</c>, with <c>Set-Cookie</c> or
/// <c>Vary: *</c>, and for requests with <c>Authorization</c> only when the response allows it (§3.5).
/// </summary>
internal static class CachePolicy
{
    // RFC 9110 §15.1, heuristically cacheable, less 206: ranges are not cached.
    private static readonly HashSet<int> CacheableStatuses = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];

    public static CacheRequestUse Of(HttpRequest request, IngressRouteOptions route)
    {
        if (route.CacheTtl <= TimeSpan.Zero
            || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            || request.Headers.ContainsKey(HeaderNames.Range))
        {
            return CacheRequestUse.None;
        }

        var directives = request.Headers.CacheControl;
        if (HasDirective(directives, "no-store"))
        {
            return CacheRequestUse.None;
        }

        return HasDirective(directives, "no-cache") || SecondsOf(directives, "max-age") == 0 || request.Headers.Pragma.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase)
            ? CacheRequestUse.Refresh
            : CacheRequestUse.Lookup;
    }

    /// <summary>How long a response may be served from the cache, or null when it must not be kept.</summary>
    public static TimeSpan? FreshnessOf(ResponseHead head, bool requestHadAuthorization, TimeSpan routeTtl)
    {
        if (!CacheableStatuses.Contains(head.Status) || head.Headers.FirstValue(HeaderNames.SetCookie) is not null)
        {
            return null;
        }

        var directives = new StringValues([.. ValuesOf(head.Headers, HeaderNames.CacheControl)]);
        if (HasDirective(directives, "no-store") || HasDirective(directives, "private") || HasDirective(directives, "no-cache"))
        {
            return null;
        }

        var sharedMaxAge = SecondsOf(directives, "s-maxage");
        if (requestHadAuthorization && sharedMaxAge is null && !HasDirective(directives, "public") && !HasDirective(directives, "must-revalidate"))
        {
            return null;
        }

        if (VaryOf(head) is null)
        {
            return null;
        }

        var ttl = routeTtl;
        if ((sharedMaxAge ?? SecondsOf(directives, "max-age")) is { } seconds)
        {
            // The response's own lifetime counts from when the origin made it: what it already aged is gone.
            var lifetime = TimeSpan.FromSeconds(seconds) - InitialAgeOf(head);
            ttl = lifetime < ttl ? lifetime : ttl;
        }

        return ttl > TimeSpan.Zero ? ttl : null;
    }

    /// <summary>The request header names the response varies on (lower case, sorted), or null for <c>Vary: *</c>.</summary>
    public static string[]? VaryOf(ResponseHead head)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var value in ValuesOf(head.Headers, HeaderNames.Vary))
        {
            foreach (var name in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (name == "*")
                {
                    return null;
                }

                names.Add(name.ToLowerInvariant());
            }
        }

        return [.. names];
    }

    /// <summary>The response's own <c>Age</c>, zero when absent or not a number.</summary>
    public static TimeSpan InitialAgeOf(ResponseHead head) =>
        long.TryParse(head.Headers.FirstValue(HeaderNames.Age), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.Zero;

    private static IEnumerable<string> ValuesOf(HeaderList headers, string name) =>
        headers.Where(field => string.Equals(field.Name, name, StringComparison.OrdinalIgnoreCase)).Select(field => field.Value);

    private static bool HasDirective(StringValues directives, string name) =>
        Directives(directives).Any(directive => string.Equals(directive.Name, name, StringComparison.OrdinalIgnoreCase));

    private static long? SecondsOf(StringValues directives, string name)
    {
        foreach (var (directiveName, value) in Directives(directives))
        {
            if (string.Equals(directiveName, name, StringComparison.OrdinalIgnoreCase))
            {
                return long.TryParse(value?.Trim('"'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : 0;
            }
        }

        return null;
    }

    private static IEnumerable<(string Name, string? Value)> Directives(StringValues lines)
    {
        foreach (var line in lines)
        {
            foreach (var part in (line ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                yield return equals < 0 ? (part, null) : (part[..equals].Trim(), part[(equals + 1)..].Trim());
            }
        }
    }
}
