using System.Net;
using Microsoft.Extensions.Primitives;

namespace Relay.HttpProxy.Http;

/// <summary>The <c>Ingress:TrustedProxies</c> list: addresses and CIDR ranges.</summary>
public sealed class TrustedProxies
{
    private readonly IPNetwork[] _networks;

    public TrustedProxies(IEnumerable<string> entries)
    {
        _networks = [.. entries.Select(entry => TryParse(entry, out var network) ? network : throw new FormatException($"'{entry}' is not an IP address or CIDR range."))];
    }

    /// <summary>Parses <c>10.0.0.7</c>, <c>::1</c>, <c>10.0.0.0/24</c>.</summary>
    public static bool TryParse(string entry, out IPNetwork network)
    {
        if (entry.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.TryParse(entry, out network);
        }

        if (IPAddress.TryParse(entry, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        network = default;
        return false;
    }

    public bool Contains(IPAddress? address)
    {
        if (address is null || _networks.Length == 0)
        {
            return false;
        }

        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return _networks.Any(network => network.Contains(plain));
    }

    /// <summary>The first element of a comma-separated header (the one nearest the original client), or null.</summary>
    public static string? FirstValue(StringValues values)
    {
        var first = values.Count == 0 ? null : values[0];
        var element = first?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return string.IsNullOrEmpty(element) ? null : element;
    }
}
