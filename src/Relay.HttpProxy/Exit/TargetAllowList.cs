using Relay.HttpProxy.Http;

namespace Relay.HttpProxy.Exit;

/// <summary>
/// The egress allowlist: a target passes when an allowed base URL has its scheme, host and port and
/// a path that the target's path starts with at a segment boundary.
/// </summary>
internal sealed class TargetAllowList
{
    private readonly Uri[] _allowed;

    public TargetAllowList(IEnumerable<string> allowed)
    {
        _allowed = [.. allowed.Select(url => new Uri(url, UriKind.Absolute))];
    }

    public bool IsAllowed(string target)
    {
        // Matched on the path as a callee would decode it: one that decodes to somewhere else is never allowed.
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0
            || PathSafety.Problem(PathSafety.RawPathOf(target)) is not null)
        {
            return false;
        }

        foreach (var allowed in _allowed)
        {
            if (string.Equals(allowed.Scheme, uri.Scheme, StringComparison.OrdinalIgnoreCase)
                && string.Equals(allowed.IdnHost, uri.IdnHost, StringComparison.OrdinalIgnoreCase)
                && allowed.Port == uri.Port
                && IsUnder(uri.AbsolutePath, allowed.AbsolutePath))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnder(string path, string basePath)
    {
        if (basePath.EndsWith('/'))
        {
            return path.StartsWith(basePath, StringComparison.Ordinal) || path == basePath.TrimEnd('/');
        }

        return path == basePath || path.StartsWith(basePath + "/", StringComparison.Ordinal);
    }
}
