using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace Relay.Host.Hosting;

/// <summary>
/// The addresses a node's listeners bind: which are loopback, and which are taken by another
/// process. Checked before the node opens its channels, so a node that cannot listen never starts
/// half-way (taking its peers' files while its callers get nothing).
/// </summary>
internal static class ListenAddresses
{
    /// <summary>Splits a <c>;</c>-separated URL list as the options hold it.</summary>
    public static string[] Split(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>True when <paramref name="url"/> binds only to this host: <c>localhost</c> or a loopback address.</summary>
    public static bool IsLoopback(string url)
    {
        if (!TryParse(url, out var address))
        {
            return false;
        }

        return string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>
    /// Binds each address for a moment; returns, for each that fails, the reason in one sentence
    /// (in use, or not permitted). Port 0 (any free port) always passes.
    /// </summary>
    public static IEnumerable<string> FindUnbindable(string url)
    {
        if (!TryParse(url, out var address) || address.Port == 0)
        {
            yield break;
        }

        foreach (var ip in EndPointsOf(address.Host))
        {
            var failure = TryBind(new IPEndPoint(ip, address.Port));
            if (failure is not null)
            {
                yield return $"{url}: {failure}";
                yield break;
            }
        }
    }

    private static bool TryParse(string url, out BindingAddress address)
    {
        try
        {
            address = BindingAddress.Parse(url);
            return true;
        }
        catch (FormatException)
        {
            address = null!;
            return false;
        }
    }

    private static IEnumerable<IPAddress> EndPointsOf(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return Socket.OSSupportsIPv6 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [IPAddress.Loopback];
        }

        // Kestrel binds any other name (and *, +) to every interface.
        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? [ip] : [IPAddress.Any];
    }

    private static string? TryBind(IPEndPoint endPoint)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endPoint);
            socket.Listen();
            return null;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return $"port {endPoint.Port} on {endPoint.Address} is already in use by another process";
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.AccessDenied)
        {
            return $"binding port {endPoint.Port} on {endPoint.Address} is not permitted for this user";
        }
        catch (SocketException exception) when (exception.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
        {
            // Not an address of this host (or IPv6 is off): Kestrel reports that itself, naming the address.
            return endPoint.Address.Equals(IPAddress.IPv6Loopback) ? null : $"{endPoint.Address} is not an address of this host";
        }
    }
}
