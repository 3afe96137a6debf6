namespace Relay.HttpProxy.Entry;

/// <summary>The ingress routes, longest prefix first.</summary>
internal sealed class RouteTable
{
    private readonly (string Prefix, IngressRouteOptions Route)[] _routes;

    public RouteTable(IEnumerable<IngressRouteOptions> routes)
    {
        _routes = [.. routes
            .Select(route => (Prefix: route.PathPrefix.TrimEnd('/'), Route: route))
            .OrderByDescending(entry => entry.Prefix.Length)];
    }

    /// <summary>Finds the route for an escaped request path and builds the absolute target URL.</summary>
    public bool TryMatch(string escapedPath, string query, out IngressRouteOptions route, out string target)
    {
        foreach (var (prefix, candidate) in _routes)
        {
            if (escapedPath.StartsWith(prefix, StringComparison.Ordinal)
                && (escapedPath.Length == prefix.Length || escapedPath[prefix.Length] == '/'))
            {
                var rest = escapedPath[prefix.Length..];
                var baseUrl = candidate.Target;
                target = (rest.Length == 0 ? baseUrl : baseUrl.TrimEnd('/') + rest) + query;
                route = candidate;
                return true;
            }
        }

        route = null!;
        target = "";
        return false;
    }
}
