namespace Relay.HttpProxy;

/// <summary>The node's HTTP entry side (<c>Relay:Ingress</c>).</summary>
public sealed class IngressOptions
{
    /// <summary>Where the ingress listener binds, for example <c>http://127.0.0.1:8080</c>; several separated by <c>;</c>.</summary>
    public string Urls { get; set; } = "";

    public IList<IngressRouteOptions> Routes { get; } = [];

    /// <summary>How long a caller's request is held waiting for the response head before a 504.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>How long a request answered 202 (<c>Prefer: respond-async</c> or <c>Relay-Callback</c>) may wait for its response before it is answered 504.</summary>
    public TimeSpan AsyncDeadline { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a response to a request answered 202 is kept at <c>/relay/requests/{id}</c> after it arrived.</summary>
    public TimeSpan AsyncResponseLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The most bytes kept for one response to a request answered 202 (as carried: compressed where the
    /// route compresses). A larger response is dropped and its poll or callback gets a 502 problem.
    /// </summary>
    public long MaxAsyncResponseBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// The most bytes all kept responses to requests answered 202 may use together. While a response of
    /// <see cref="MaxAsyncResponseBytes"/> would not fit, new such requests get 503 with <c>Retry-After</c>;
    /// a response that does not fit (several arriving at once) is dropped (502).
    /// </summary>
    public long MaxAsyncStorageBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Base URLs a <c>Relay-Callback</c> may point under (same scheme, host and port, path under the base's). Empty: callbacks are refused.</summary>
    public IList<string> AllowedCallbacks { get; } = [];

    /// <summary>The wait before the second attempt to deliver a callback; it doubles (with jitter) after every failure.</summary>
    public TimeSpan CallbackFirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts to deliver a callback.</summary>
    public TimeSpan CallbackMaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after the request a callback is still tried; then it is abandoned.</summary>
    public TimeSpan CallbackGiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>
    /// Addresses (<c>10.0.0.7</c>) and ranges (<c>10.0.0.0/24</c>) of proxies in front of this node whose
    /// <c>Forwarded</c> and <c>X-Forwarded-*</c> headers are believed. From any other caller they are dropped.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>Requests in progress to one peer at the most; more get 503 with <c>Retry-After</c>.</summary>
    public int MaxConcurrentStreams { get; set; } = 1024;

    /// <summary>The largest response (body and headers) the route cache keeps; a larger one is streamed to the caller and not kept.</summary>
    public long CacheMaxEntryBytes { get; set; } = 1024 * 1024;

    /// <summary>The most memory all cached responses use together; the least recently used go first.</summary>
    public long CacheMaxBytes { get; set; } = 64L * 1024 * 1024;
}
