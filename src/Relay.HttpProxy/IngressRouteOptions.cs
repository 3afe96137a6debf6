namespace Relay.HttpProxy;

/// <summary>One entry of the ingress route table (<c>Relay:Ingress:Routes</c>).</summary>
public sealed class IngressRouteOptions
{
    /// <summary>The path prefix callers use, for example <c>/svc/</c>; the longest matching prefix wins.</summary>
    public string PathPrefix { get; set; } = "";

    /// <summary>The peer whose egress calls the target.</summary>
    public string Peer { get; set; } = "";

    /// <summary>The absolute base URL on the peer's side; the prefix is replaced by its path.</summary>
    public string Target { get; set; } = "";

    /// <summary>
    /// How bodies on this route are compressed on the channel, both directions: <see cref="RouteCompression.Auto"/>
    /// picks by the link's measured speed. Use <see cref="RouteCompression.None"/> where secrets and caller-chosen
    /// data share a body (compressed lengths leak their likeness).
    /// </summary>
    public RouteCompression Compression { get; set; } = RouteCompression.Auto;

    /// <summary>How long callers on this route wait for the response head; overrides <see cref="IngressOptions.Deadline"/>.</summary>
    public TimeSpan? Deadline { get; set; }

    /// <summary>
    /// How long cacheable GET responses on this route are answered from this node without crossing the link;
    /// zero (the default) caches nothing. A response's own <c>s-maxage</c> or <c>max-age</c> shortens it.
    /// </summary>
    public TimeSpan CacheTtl { get; set; }
}
