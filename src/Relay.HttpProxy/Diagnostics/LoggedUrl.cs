namespace Relay.HttpProxy.Diagnostics;

/// <summary>
/// A URL as it may appear in logs: scheme, host, port and path, with the query replaced by <c>?…</c>.
/// Queries carry tokens and personal data often enough that logs never hold them.
/// </summary>
internal readonly record struct LoggedUrl(string Url)
{
    public static implicit operator LoggedUrl(string url) => new(url);

    public override string ToString()
    {
        var query = Url.IndexOfAny(['?', '#']);
        return query < 0 ? Url : Url[..query] + "?…";
    }
}
