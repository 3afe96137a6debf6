namespace Relay.HttpProxy;

/// <summary>How a route's bodies are compressed on the channel (<c>Relay:Ingress:Routes:N:Compression</c>).</summary>
public enum RouteCompression
{
    /// <summary>LZ4 while the link to the peer is fast, Brotli while bandwidth is scarce (or not yet measured).</summary>
    Auto = 0,

    /// <summary>LZ4 (about 780 MB/s, ratio about 0.26 on JSON, docs/benchmarks.md): for fast links.</summary>
    Lz4,

    /// <summary>Brotli at quality 1 (about 280 MB/s, ratio about 0.19 on JSON): for narrow links.</summary>
    Brotli,

    /// <summary>Bodies travel as they are.</summary>
    None,
}
