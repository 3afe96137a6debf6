namespace Relay.Host.Configuration;

/// <summary>The operator's listener (<c>Relay:Admin</c>): node status, apart from the callers' port.</summary>
public sealed class AdminOptions
{
    /// <summary>Where the admin listener binds, for example <c>http://127.0.0.1:9090</c>; several separated by <c>;</c>. Empty: no admin listener.</summary>
    public string Urls { get; set; } = "";

    /// <summary>Allows binding the admin listener to an address other than loopback. Off: status (ids, peers, counters) stays on this host.</summary>
    public bool AllowRemote { get; set; }
}
