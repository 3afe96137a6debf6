namespace Relay.HttpProxy.Entry;

/// <summary>What the route cache may do for one request.</summary>
internal enum CacheRequestUse
{
    /// <summary>Not a cacheable request (not GET or HEAD, a <c>Range</c>, <c>no-store</c>, or the route does not cache).</summary>
    None,

    /// <summary>May be answered from the cache, and its response kept.</summary>
    Lookup,

    /// <summary><c>no-cache</c> or <c>max-age=0</c>: goes over the link, and its response may replace the kept one.</summary>
    Refresh,
}
