namespace Relay.HttpProxy;

/// <summary>The node's HTTP entry side (<c>Relay:Ingress</c>).</summary>
public sealed class IngressOptions
{
    /// <summary>Where the ingress listener binds, for example <c>http://127.0.0.1:8080</c>; several separated by <c>;</c>.</summary>
    public string Urls { get; set; } = "";

    public IList<IngressRouteOptions> Routes { get; } = [];

    /// <summary>How long a caller's request is held waiting for the response head before a 504.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16L * 1024 * 1024 * 1024;
}
